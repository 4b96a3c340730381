#include "sandbox/guest/protocol/Frame.h"

namespace airlock::wire {
namespace {

constexpr char kMagic[4] = {'A', 'L', 'F', '1'};

void putU32(std::string &out, std::uint32_t v)
{
    out += char((v >> 24) & 0xFF);
    out += char((v >> 16) & 0xFF);
    out += char((v >> 8) & 0xFF);
    out += char(v & 0xFF);
}

std::uint32_t getU32(const char *p)
{
    const auto *u = reinterpret_cast<const unsigned char *>(p);
    return (std::uint32_t(u[0]) << 24) | (std::uint32_t(u[1]) << 16) | (std::uint32_t(u[2]) << 8) | std::uint32_t(u[3]);
}

} // namespace

std::optional<std::string> encodeFrame(const Json &header, std::string_view payload)
{
    const std::string text = header.dump();
    if (text.size() > kMaxHeader || payload.size() > kMaxPayload || !header["op"].isString())
        return std::nullopt;
    std::string out;
    out.reserve(kPrefixSize + text.size() + payload.size());
    out.append(kMagic, sizeof kMagic);
    putU32(out, std::uint32_t(text.size()));
    putU32(out, std::uint32_t(payload.size()));
    out += text;
    out.append(payload.data(), payload.size());
    return out;
}

bool FrameDecoder::feed(std::string_view bytes)
{
    if (failed())
        return false;
    m_buffer.append(bytes.data(), bytes.size());
    while (m_buffer.size() - m_pos >= kPrefixSize) {
        const char *p = m_buffer.data() + m_pos;
        if (std::string_view(p, 4) != std::string_view(kMagic, 4)) {
            m_error = "malformed frame: bad magic (not an Airlock agent stream)";
            return false;
        }
        const std::uint32_t headerSize = getU32(p + 4);
        const std::uint32_t payloadSize = getU32(p + 8);
        if (headerSize == 0 || headerSize > kMaxHeader) {
            m_error = "malformed frame: header size " + std::to_string(headerSize) + " outside 1.." +
                      std::to_string(kMaxHeader);
            return false;
        }
        if (payloadSize > kMaxPayload) {
            m_error = "malformed frame: payload size " + std::to_string(payloadSize) + " over the limit of " +
                      std::to_string(kMaxPayload);
            return false;
        }
        const std::size_t total = kPrefixSize + headerSize + payloadSize;
        if (m_buffer.size() - m_pos < total)
            break;
        std::string why;
        std::optional<Json> header = Json::parse(std::string_view(p + kPrefixSize, headerSize), &why);
        if (!header) {
            m_error = "malformed frame: header is not JSON (" + why + ")";
            return false;
        }
        if (!header->isObject() || !(*header)["op"].isString()) {
            m_error = "malformed frame: header is not an object with a string \"op\"";
            return false;
        }
        m_ready.push_back(Frame{std::move(*header), std::string(p + kPrefixSize + headerSize, payloadSize)});
        m_pos += total;
    }
    // Compact once the consumed prefix dominates the buffer.
    if (m_pos > 0 && m_pos * 2 >= m_buffer.size()) {
        m_buffer.erase(0, m_pos);
        m_pos = 0;
    }
    return true;
}

std::optional<Frame> FrameDecoder::next()
{
    if (m_ready.empty())
        return std::nullopt;
    Frame f = std::move(m_ready.front());
    m_ready.pop_front();
    return f;
}

void FrameDecoder::reset()
{
    m_buffer.clear();
    m_pos = 0;
    m_ready.clear();
    m_error.clear();
}

} // namespace airlock::wire
