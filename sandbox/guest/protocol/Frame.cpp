#include "sandbox/guest/protocol/Frame.h"

namespace airlock::wire {

std::optional<std::string> encodeFrame(const Json &header, std::string_view payload)
{
    if (!header["op"].isString())
        return std::nullopt;
    return encodeRawFrame(header.dump(), payload, kGuestFrameBounds);
}

bool FrameDecoder::feed(std::string_view bytes)
{
    if (failed())
        return false;
    m_raw.feed(bytes);
    // Frames before a break are still delivered; a bad header is the first break in
    // stream order (the raw decoder stops only at a bad prefix after it).
    while (std::optional<RawFrame> raw = m_raw.next()) {
        std::string why;
        std::optional<Json> header = Json::parse(raw->header, &why);
        if (!header) {
            m_error = "malformed frame: header is not JSON (" + why + ")";
            return false;
        }
        if (!header->isObject() || !(*header)["op"].isString()) {
            m_error = "malformed frame: header is not an object with a string \"op\"";
            return false;
        }
        m_ready.push_back(Frame{std::move(*header), std::move(raw->payload)});
    }
    if (m_raw.failed()) {
        m_error = m_raw.error();
        return false;
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
    m_raw.reset();
    m_ready.clear();
    m_error.clear();
}

} // namespace airlock::wire
