#pragma once

// The one length-prefixed framing used by both of Airlock's private wires (app ↔
// airlock-jsd helper, host ↔ guest agent):
//
//   "ALF1"  u32 header length (big-endian)  u32 payload length (big-endian)
//   header bytes  payload bytes
//
// Each wire keeps its own bounds and header type (JSON text in both today) on top of
// this; the prefix, the bounds check and its error messages live only here. No Qt:
// the guest agent is a static binary without it.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace airlock::wire {

// The "1" of the magic is the framing version.
inline constexpr std::uint32_t kProtocolVersion = 1;
inline constexpr char kFrameMagic[4] = {'A', 'L', 'F', '1'};
inline constexpr std::size_t kPrefixSize = 12;

// The largest header and payload one wire accepts. A header is never empty.
struct FrameBounds {
    std::size_t maxHeader = 0;
    std::size_t maxPayload = 0;
};

struct FrameSizes {
    std::uint32_t header = 0;
    std::uint32_t payload = 0;
};

// The kPrefixSize bytes in front of a frame of these sizes, or nothing when a part
// is over its bound or the header is empty.
std::optional<std::string> encodeFramePrefix(std::size_t headerSize, std::size_t payloadSize,
                                             const FrameBounds &bounds);

// The prefix and both parts of one frame, or nothing when a part is over its
// bound or the header is empty.
std::optional<std::string> encodeRawFrame(std::string_view header, std::string_view payload, const FrameBounds &bounds);

// Checks the magic and both sizes of a kPrefixSize-byte prefix. On failure returns
// nothing and sets *error to a message starting with "malformed frame".
std::optional<FrameSizes> decodeFramePrefix(std::string_view prefix, const FrameBounds &bounds, std::string *error);

} // namespace airlock::wire
