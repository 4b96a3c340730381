#include "sandbox/guest/agent/ProxyHead.h"

#include <algorithm>
#include <cctype>

namespace airlock::agent {

namespace {

bool iequals(std::string_view a, std::string_view b)
{
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

std::string_view trim(std::string_view s)
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
        s.remove_suffix(1);
    return s;
}

bool isToken(std::string_view s)
{
    if (s.empty())
        return false;
    for (const char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 32 || u >= 127 || std::string_view("()<>@,;:\\\"/[]?={}").find(c) != std::string_view::npos)
            return false;
    }
    return true;
}

std::optional<int> parsePort(std::string_view s)
{
    if (s.empty() || s.size() > 5)
        return std::nullopt;
    int v = 0;
    for (const char c : s) {
        if (c < '0' || c > '9')
            return std::nullopt;
        v = v * 10 + (c - '0');
    }
    return v >= 1 && v <= 65535 ? std::optional<int>(v) : std::nullopt;
}

} // namespace

const std::string *ProxyHead::header(std::string_view name) const
{
    for (const auto &[k, v] : headers)
        if (iequals(k, name))
            return &v;
    return nullptr;
}

std::size_t proxyHeadLength(std::string_view buffer)
{
    const std::size_t crlf = buffer.find("\r\n\r\n");
    if (crlf != std::string_view::npos)
        return crlf + 4;
    const std::size_t lf = buffer.find("\n\n"); // bare LF, as some scripts send
    return lf == std::string_view::npos ? 0 : lf + 2;
}

std::optional<ProxyHead> parseProxyHead(std::string_view head, int &status, std::string &error)
{
    auto fail = [&](int code, std::string why) -> std::optional<ProxyHead> {
        status = code;
        error = std::move(why);
        return std::nullopt;
    };
    std::vector<std::string_view> lines;
    while (!head.empty()) {
        const std::size_t nl = head.find('\n');
        std::string_view line = head.substr(0, nl);
        if (!line.empty() && line.back() == '\r')
            line.remove_suffix(1);
        lines.push_back(line);
        head.remove_prefix(nl == std::string_view::npos ? head.size() : nl + 1);
    }
    while (!lines.empty() && lines.back().empty())
        lines.pop_back();
    if (lines.empty())
        return fail(400, "empty request");

    ProxyHead h;
    const std::string_view first = lines.front();
    const std::size_t sp1 = first.find(' ');
    const std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : first.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos || first.find(' ', sp2 + 1) != std::string_view::npos)
        return fail(400, "malformed request line");
    h.method = std::string(first.substr(0, sp1));
    h.target = std::string(first.substr(sp1 + 1, sp2 - sp1 - 1));
    const std::string_view version = first.substr(sp2 + 1);
    if (!isToken(h.method))
        return fail(400, "malformed method");
    if (version != "HTTP/1.1" && version != "HTTP/1.0")
        return fail(400, "only HTTP/1.0 and HTTP/1.1 are spoken here");
    h.http10 = version == "HTTP/1.0";
    if (h.target.empty() || h.target.find_first_of(" \t\r\n") != std::string::npos)
        return fail(400, "malformed request target");

    if (lines.size() - 1 > kMaxProxyHeaders)
        return fail(400, "too many request headers");
    for (std::size_t i = 1; i < lines.size(); ++i) {
        const std::string_view line = lines[i];
        if (line.empty() || line.front() == ' ' || line.front() == '\t')
            return fail(400, "obsolete header line folding is not accepted");
        const std::size_t colon = line.find(':');
        if (colon == std::string_view::npos || !isToken(line.substr(0, colon)))
            return fail(400, "malformed header line");
        const std::string_view value = trim(line.substr(colon + 1));
        if (value.find('\0') != std::string_view::npos)
            return fail(400, "NUL in a header value");
        h.headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
    }

    if (h.method == "CONNECT") {
        h.connect = true;
        std::string_view t = h.target;
        std::string_view hostPart;
        std::string_view portPart;
        if (!t.empty() && t.front() == '[') {
            const std::size_t close = t.find(']');
            if (close == std::string_view::npos || close + 1 >= t.size() || t[close + 1] != ':')
                return fail(400, "CONNECT needs host:port");
            hostPart = t.substr(1, close - 1);
            portPart = t.substr(close + 2);
        } else {
            const std::size_t colon = t.rfind(':');
            if (colon == std::string_view::npos)
                return fail(400, "CONNECT needs host:port");
            hostPart = t.substr(0, colon);
            portPart = t.substr(colon + 1);
        }
        const std::optional<int> port = parsePort(portPart);
        if (hostPart.empty() || !port)
            return fail(400, "CONNECT needs host:port");
        h.host = std::string(hostPart);
        h.port = *port;
        return h;
    }

    // A proxy request names the whole URL. Plain https:// in a request line means a
    // client that wants the proxy to speak TLS for it: that is what CONNECT is for.
    const auto startsWithI = [&](std::string_view prefix) {
        return h.target.size() > prefix.size() && iequals(std::string_view(h.target).substr(0, prefix.size()), prefix);
    };
    if (!startsWithI("http://")) {
        if (h.target.front() == '/')
            return fail(400, "this is the guest's HTTP proxy: requests must name an absolute http:// URL");
        if (startsWithI("https://"))
            return fail(501, "https:// goes through CONNECT, not a plain proxy request");
        return fail(400, "only http:// URLs (and CONNECT for https) go through this proxy");
    }

    const std::string *te = h.header("Transfer-Encoding");
    const std::string *cl = h.header("Content-Length");
    if (te) {
        if (!iequals(trim(*te), "chunked"))
            return fail(501, "only the chunked transfer coding is accepted");
        if (cl)
            return fail(400, "both Content-Length and Transfer-Encoding");
        h.body = ProxyHead::Body::Chunked;
    } else if (cl) {
        for (const auto &[k, v] : h.headers)
            if (iequals(k, "Content-Length") && v != *cl)
                return fail(400, "conflicting Content-Length headers");
        if (cl->empty() || cl->size() > 18 || cl->find_first_not_of("0123456789") != std::string::npos)
            return fail(400, "malformed Content-Length");
        h.length = std::stoull(*cl);
        h.body = h.length > 0 ? ProxyHead::Body::Length : ProxyHead::Body::None;
    }
    return h;
}

std::size_t ChunkedDecoder::feed(std::string_view in, std::string &out)
{
    std::size_t used = 0;
    // A size or trailer line longer than this is not a chunked body.
    constexpr std::size_t kMaxLine = 4096;
    while (used < in.size() && m_state != State::Done && m_state != State::Failed) {
        const char c = in[used];
        switch (m_state) {
        case State::Size: {
            int d = -1;
            if (c >= '0' && c <= '9')
                d = c - '0';
            else if (c >= 'a' && c <= 'f')
                d = c - 'a' + 10;
            else if (c >= 'A' && c <= 'F')
                d = c - 'A' + 10;
            if (d >= 0) {
                if (++m_digits > 15) {
                    m_state = State::Failed;
                    break;
                }
                m_left = m_left * 16 + std::uint64_t(d);
            } else if (m_digits == 0) {
                m_state = State::Failed;
                break;
            } else if (c == '\r') {
                m_state = State::SizeLf;
            } else if (c == '\n') {
                m_state = m_left ? State::Data : State::Trailer;
                m_lineBytes = 0;
            } else {
                m_state = State::SizeExt; // ;ext=... or spaces: ignored
                m_lineBytes = 0;
            }
            ++used;
            break;
        }
        case State::SizeExt:
            if (c == '\r')
                m_state = State::SizeLf;
            else if (c == '\n')
                m_state = m_left ? State::Data : State::Trailer;
            else if (++m_lineBytes > kMaxLine)
                m_state = State::Failed;
            ++used;
            break;
        case State::SizeLf:
            if (c != '\n') {
                m_state = State::Failed;
                break;
            }
            m_state = m_left ? State::Data : State::Trailer;
            m_lineBytes = 0;
            ++used;
            break;
        case State::Data: {
            const std::size_t n = std::size_t(std::min<std::uint64_t>(m_left, in.size() - used));
            out.append(in.data() + used, n);
            used += n;
            m_left -= n;
            if (m_left == 0)
                m_state = State::DataCr;
            break;
        }
        case State::DataCr:
            if (c == '\r')
                m_state = State::DataLf;
            else if (c == '\n') {
                m_state = State::Size;
                m_digits = 0;
            } else
                m_state = State::Failed;
            ++used;
            break;
        case State::DataLf:
            if (c != '\n') {
                m_state = State::Failed;
                break;
            }
            m_state = State::Size;
            m_digits = 0;
            ++used;
            break;
        case State::Trailer:
            // Trailers are dropped; an empty line ends the body.
            if (c == '\r' && m_lineBytes == 0)
                m_state = State::TrailerLf;
            else if (c == '\n') {
                if (m_lineBytes == 0)
                    m_state = State::Done;
                m_lineBytes = 0;
            } else if (++m_lineBytes > kMaxLine)
                m_state = State::Failed;
            ++used;
            break;
        case State::TrailerLf:
            if (c != '\n') {
                m_state = State::Failed;
                break;
            }
            m_state = State::Done;
            ++used;
            break;
        case State::Done:
        case State::Failed:
            break;
        }
    }
    return used;
}

} // namespace airlock::agent
