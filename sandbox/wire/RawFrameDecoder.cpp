#include "sandbox/wire/RawFrameDecoder.h"

namespace airlock::wire {

bool RawFrameDecoder::feed(std::string_view bytes)
{
    if (failed())
        return false;
    m_buffer.append(bytes.data(), bytes.size());
    while (m_buffer.size() - m_pos >= kPrefixSize) {
        const char *p = m_buffer.data() + m_pos;
        const std::optional<FrameSizes> sizes = decodeFramePrefix(std::string_view(p, kPrefixSize), m_bounds, &m_error);
        if (!sizes)
            return false;
        const std::size_t total = kPrefixSize + sizes->header + sizes->payload;
        if (m_buffer.size() - m_pos < total)
            break;
        m_ready.push_back(RawFrame{std::string(p + kPrefixSize, sizes->header),
                                   std::string(p + kPrefixSize + sizes->header, sizes->payload)});
        m_pos += total;
    }
    // Compact once the consumed prefix dominates the buffer.
    if (m_pos > 0 && m_pos * 2 >= m_buffer.size()) {
        m_buffer.erase(0, m_pos);
        m_pos = 0;
    }
    return true;
}

std::optional<RawFrame> RawFrameDecoder::next()
{
    if (m_ready.empty())
        return std::nullopt;
    RawFrame f = std::move(m_ready.front());
    m_ready.pop_front();
    return f;
}

void RawFrameDecoder::reset()
{
    m_buffer.clear();
    m_pos = 0;
    m_ready.clear();
    m_error.clear();
}

} // namespace airlock::wire
