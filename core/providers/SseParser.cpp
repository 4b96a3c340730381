#include "core/providers/SseParser.h"

namespace airlock {

namespace {

constexpr QByteArrayView kBom("\xEF\xBB\xBF");

// Position of the first CR or LF in [p, end), or end.
const char *findLineEnd(const char *p, const char *end)
{
    for (; p < end; ++p) {
        if (*p == '\n' || *p == '\r')
            return p;
    }
    return end;
}

bool isAsciiDigits(QByteArrayView v)
{
    if (v.isEmpty())
        return false;
    for (char c : v) {
        if (c < '0' || c > '9')
            return false;
    }
    return true;
}

} // namespace

void SseParser::feed(QByteArrayView bytes)
{
    QByteArray head; // owns the bytes while a split BOM is being resolved
    if (m_atStreamStart) {
        // The BOM itself may be split across reads: hold up to three bytes until it
        // is clear whether the stream starts with one.
        m_line.append(bytes);
        if (m_line.size() < kBom.size() && kBom.startsWith(m_line))
            return;
        m_atStreamStart = false;
        if (m_line.startsWith(kBom))
            m_line.remove(0, kBom.size());
        head.swap(m_line);
        bytes = head;
    }

    const char *p = bytes.data();
    const char *const end = p + bytes.size();
    if (m_skipLf && p < end) {
        // The previous chunk ended on CR; this LF completes that CRLF.
        if (*p == '\n')
            ++p;
        m_skipLf = false;
    }
    while (p < end) {
        const char *q = findLineEnd(p, end);
        if (q == end) {
            m_line.append(p, end - p);
            break;
        }
        if (m_line.isEmpty()) {
            processLine(QByteArrayView(p, q - p));
        } else {
            m_line.append(p, q - p);
            processLine(m_line);
            m_line.clear();
        }
        if (*q == '\r') {
            if (q + 1 < end) {
                if (q[1] == '\n')
                    ++q;
            } else {
                m_skipLf = true;
            }
        }
        p = q + 1;
    }
}

void SseParser::finish()
{
    // "Once the end of the file is reached, any pending data must be discarded."
    m_line.clear();
    m_data.clear();
    m_type.clear();
    m_skipLf = false;
}

void SseParser::processLine(QByteArrayView line)
{
    if (line.isEmpty()) {
        dispatch();
        return;
    }
    if (line.front() == ':')
        return; // comment / keep-alive

    QByteArrayView field = line;
    QByteArrayView value;
    const qsizetype colon = line.indexOf(':');
    if (colon >= 0) {
        field = line.first(colon);
        value = line.sliced(colon + 1);
        if (value.startsWith(' '))
            value = value.sliced(1);
    }

    if (field == "data") {
        m_data.append(value);
        m_data.append('\n');
    } else if (field == "event") {
        m_type = value.toByteArray();
    } else if (field == "id") {
        if (!value.contains('\0'))
            m_lastEventId = value.toByteArray();
    } else if (field == "retry") {
        if (isAsciiDigits(value))
            m_retryMs = value.toLongLong();
    }
    // Any other field is ignored.
}

void SseParser::dispatch()
{
    if (m_data.isEmpty()) {
        m_type.clear();
        return;
    }
    SseEvent event;
    m_data.chop(1); // the LF appended after the last data line
    event.data.swap(m_data);
    if (!m_type.isEmpty())
        event.type.swap(m_type);
    m_type.clear();
    event.lastEventId = m_lastEventId;
    m_sink(event);
}

} // namespace airlock
