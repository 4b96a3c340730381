#include "sandbox/wire/FramePrefix.h"

namespace airlock::wire {
namespace {

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

std::optional<std::string> encodeFramePrefix(std::size_t headerSize, std::size_t payloadSize, const FrameBounds &bounds)
{
    if (headerSize == 0 || headerSize > bounds.maxHeader || payloadSize > bounds.maxPayload)
        return std::nullopt;
    std::string out;
    out.reserve(kPrefixSize);
    out.append(kFrameMagic, sizeof kFrameMagic);
    putU32(out, std::uint32_t(headerSize));
    putU32(out, std::uint32_t(payloadSize));
    return out;
}

std::optional<std::string> encodeRawFrame(std::string_view header, std::string_view payload, const FrameBounds &bounds)
{
    std::optional<std::string> out = encodeFramePrefix(header.size(), payload.size(), bounds);
    if (!out)
        return std::nullopt;
    out->reserve(kPrefixSize + header.size() + payload.size());
    out->append(header.data(), header.size());
    out->append(payload.data(), payload.size());
    return out;
}

std::optional<FrameSizes> decodeFramePrefix(std::string_view prefix, const FrameBounds &bounds, std::string *error)
{
    if (prefix.size() < kPrefixSize || prefix.substr(0, 4) != std::string_view(kFrameMagic, 4)) {
        *error = "malformed frame: bad magic (not an Airlock frame stream)";
        return std::nullopt;
    }
    const FrameSizes sizes{getU32(prefix.data() + 4), getU32(prefix.data() + 8)};
    if (sizes.header == 0 || sizes.header > bounds.maxHeader) {
        *error = "malformed frame: header size " + std::to_string(sizes.header) + " outside 1.." +
                 std::to_string(bounds.maxHeader);
        return std::nullopt;
    }
    if (sizes.payload > bounds.maxPayload) {
        *error = "malformed frame: payload size " + std::to_string(sizes.payload) + " over the limit of " +
                 std::to_string(bounds.maxPayload);
        return std::nullopt;
    }
    return sizes;
}

} // namespace airlock::wire
