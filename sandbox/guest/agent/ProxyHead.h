#pragma once

// What the guest's HTTP proxy reads from a client before it can forward anything:
// the request head (request line and headers, bounded) and, for a body sent
// chunked, an incremental decoder. No I/O, so it is tested on its own.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace airlock::agent {

inline constexpr std::size_t kMaxProxyHead = 64 * 1024;
inline constexpr std::size_t kMaxProxyHeaders = 200;

struct ProxyHead {
    std::string method;
    std::string target; // absolute URL, or host:port for CONNECT
    std::vector<std::pair<std::string, std::string>> headers;
    bool connect = false;
    bool http10 = false; // an HTTP/1.0 client: no chunked answers for it
    std::string host;    // CONNECT: the host (brackets of an IPv6 literal removed)
    int port = 0;        // CONNECT: the port
    enum class Body { None, Length, Chunked };
    Body body = Body::None;
    std::uint64_t length = 0; // Body::Length

    const std::string *header(std::string_view name) const;
};

// The length of the head in `buffer` (through the blank line), 0 while incomplete.
std::size_t proxyHeadLength(std::string_view buffer);

// Parses a complete head (as proxyHeadLength measured it). On failure returns
// nothing and sets `status` (400, 405, 411, 501) and `error` for the client.
std::optional<ProxyHead> parseProxyHead(std::string_view head, int &status, std::string &error);

// Decodes a chunked body as it arrives: feed() appends the data bytes to `out`
// and returns how many input bytes it consumed; done() once the last chunk and
// its trailers are read; failed() on a malformed stream.
class ChunkedDecoder {
public:
    std::size_t feed(std::string_view in, std::string &out);
    bool done() const { return m_state == State::Done; }
    bool failed() const { return m_state == State::Failed; }

private:
    enum class State { Size, SizeExt, SizeLf, Data, DataCr, DataLf, Trailer, TrailerLf, Done, Failed };
    State m_state = State::Size;
    std::uint64_t m_left = 0;
    int m_digits = 0;
    std::size_t m_lineBytes = 0;
};

} // namespace airlock::agent
