#pragma once

// The agent's end of the host channel: the virtio-serial port named on the command
// line (found by name in sysfs, waited for until it appears) or stdin/stdout with
// --stdio, and the frames on it (sandbox/guest/protocol/Frame.h).

#include "sandbox/guest/protocol/Frame.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace airlock::agent {

class Channel {
public:
    enum class Read {
        Ok,     // bytes (maybe no whole frame yet) or nothing to read
        Closed, // the host is not connected or went away
        Broken, // a malformed frame: error() says why; the channel must be reopened
    };

    Channel(std::string port, bool stdio) : m_portName(std::move(port)), m_stdio(stdio) {}

    // Blocks until the port exists (it always returns true).
    bool open();
    void close();
    bool stdio() const { return m_stdio; }
    int readFd() const { return m_in; }

    // Reads what is available and decodes it; take the frames with next().
    Read readAvailable();
    std::optional<wire::Frame> next() { return m_decoder.next(); }
    const std::string &error() const { return m_decoder.error(); }
    // Forgets a frame received in part (the host reconnects from scratch).
    void resetDecoder() { m_decoder.reset(); }

    // A reply too large for one frame becomes an error reply with the same id.
    void send(const wire::Json &header, std::string_view payload = {});
    void sendError(std::int64_t id, const std::string &message);

private:
    std::string m_portName;
    bool m_stdio = false;
    int m_in = -1;
    int m_out = -1;
    wire::FrameDecoder m_decoder;
};

} // namespace airlock::agent
