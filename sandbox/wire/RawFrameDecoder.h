#pragma once

// Incremental decoder for the framing of FramePrefix.h: feed it bytes as they
// arrive, take whole frames out in order. The header comes out as raw bytes; the
// wire on top parses it. A broken prefix (bad magic, a size over the bound)
// breaks the stream for good: the peer is expected to close the channel. Frames
// decoded before the break can still be taken out.

#include "sandbox/wire/FramePrefix.h"

#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

namespace airlock::wire {

struct RawFrame {
    std::string header;
    std::string payload;
};

class RawFrameDecoder {
public:
    explicit RawFrameDecoder(FrameBounds bounds) : m_bounds(bounds) {}

    // Appends received bytes and decodes every complete frame in them. Returns
    // false once the stream is broken (see error()); later input is ignored.
    bool feed(std::string_view bytes);
    // The next decoded frame, in order.
    std::optional<RawFrame> next();
    bool failed() const { return !m_error.empty(); }
    const std::string &error() const { return m_error; }
    // Bytes of a frame received only in part.
    std::size_t pending() const { return m_buffer.size() - m_pos; }
    void reset();

private:
    FrameBounds m_bounds;
    std::string m_buffer;
    std::size_t m_pos = 0;
    std::deque<RawFrame> m_ready;
    std::string m_error;
};

} // namespace airlock::wire
