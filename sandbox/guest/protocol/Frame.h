#pragma once

// The wire format between the host and the guest agent, shared by both sides: the
// framing of sandbox/wire/FramePrefix.h with
//   header: a JSON object with at least a string member "op"
//   payload: optional raw bytes (stdout/stderr chunks, file contents, stdin)
//
// Sizes are bounded (kMaxHeader, kMaxPayload). Anything else — wrong magic, a size
// over the bound, a header that is not a JSON object with "op" — breaks the stream:
// the decoder fails for good with a message, and the peer closes the channel.

#include "sandbox/guest/protocol/Json.h"
#include "sandbox/wire/RawFrameDecoder.h"

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

namespace airlock::wire {

inline constexpr std::size_t kMaxHeader = 64 * 1024;
inline constexpr std::size_t kMaxPayload = 1024 * 1024;
inline constexpr FrameBounds kGuestFrameBounds{kMaxHeader, kMaxPayload};

struct Frame {
    Json header;
    std::string payload;

    const std::string &op() const { return header["op"].toString(); }
    std::int64_t id() const { return header["id"].toInt(-1); }
};

// The bytes of one frame, or nothing when the header or payload is over its bound.
std::optional<std::string> encodeFrame(const Json &header, std::string_view payload = {});

class FrameDecoder {
public:
    // Appends received bytes and decodes every complete frame in them. Returns
    // false once the stream is broken (see error()); later input is ignored.
    bool feed(std::string_view bytes);
    // The next decoded frame, in order.
    std::optional<Frame> next();
    bool failed() const { return !m_error.empty(); }
    const std::string &error() const { return m_error; }
    // Bytes of a frame received only in part.
    std::size_t pending() const { return m_raw.pending(); }
    void reset();

private:
    RawFrameDecoder m_raw{kGuestFrameBounds};
    std::deque<Frame> m_ready;
    std::string m_error;
};

} // namespace airlock::wire
