#include "core/providers/StreamDecoder.h"

#include <QJsonDocument>
#include <QJsonParseError>

namespace airlock {

StreamDecoder::StreamDecoder()
    : m_parser([this](const SseEvent &event) {
          if (m_done)
              return; // anything after the terminal item is ignored
          m_sawEvent = true;
          handleEvent(event);
      })
{
}

void StreamDecoder::feed(QByteArrayView bytes, std::vector<StreamItem> &out)
{
    m_out = &out;
    // In slices, so that a line without end is caught while it is still bounded.
    constexpr qsizetype kSlice = 64 * 1024;
    while (!bytes.isEmpty() && !m_done) {
        const QByteArrayView slice = bytes.first(std::min(kSlice, bytes.size()));
        bytes = bytes.sliced(slice.size());
        m_parser.feed(slice);
        if (m_parser.pendingBytes() > m_limits.maxEventBytes)
            failLimit(QStringLiteral("one line of the stream is longer than the limit of %1 bytes")
                          .arg(m_limits.maxEventBytes));
    }
    m_out = nullptr;
}

void StreamDecoder::finish(std::vector<StreamItem> &out)
{
    m_out = &out;
    m_parser.finish();
    if (!m_done)
        handleEnd();
    m_out = nullptr;
}

void StreamDecoder::abort(StreamError error, std::vector<StreamItem> &out)
{
    m_out = &out;
    if (!m_done) {
        if (const auto usage = usageSoFar())
            emitItem(StreamItem::usageSnapshot(*usage));
        emitItem(StreamItem::failure(std::move(error)));
    }
    m_out = nullptr;
}

void StreamDecoder::emitItem(StreamItem item)
{
    if (m_done || !m_out)
        return;
    if (item.kind == StreamItem::Kind::TextDelta) {
        if (++m_deltas > m_limits.maxDeltas) {
            failLimit(QStringLiteral("it has more text pieces than the limit of %1").arg(m_limits.maxDeltas));
            return;
        }
        if (!withinText(item.text.size()))
            return;
    }
    m_done = item.isTerminal();
    m_out->push_back(std::move(item));
}

void StreamDecoder::fail(StreamError::Kind kind, QString type, QString message, bool retryable)
{
    StreamError error;
    error.kind = kind;
    error.type = std::move(type);
    error.message = std::move(message);
    error.retryable = retryable;
    if (!m_done) {
        if (const auto usage = usageSoFar())
            emitItem(StreamItem::usageSnapshot(*usage));
    }
    emitItem(StreamItem::failure(std::move(error)));
}

void StreamDecoder::failLimit(const QString &message)
{
    fail(StreamError::Kind::Protocol, QStringLiteral("stream_limit"),
         QStringLiteral("the model's answer was stopped: %1").arg(message));
}

bool StreamDecoder::withinText(qsizetype units)
{
    m_textUnits += units;
    if (m_textUnits <= m_limits.maxTextBytes)
        return true;
    failLimit(QStringLiteral("its text is longer than the limit of %1 characters").arg(m_limits.maxTextBytes));
    return false;
}

bool StreamDecoder::withinToolInput(qsizetype size, const QString &what)
{
    if (size <= m_limits.maxToolInputBytes)
        return true;
    failLimit(QStringLiteral("the input of %1 is larger than the limit of %2 bytes")
                  .arg(what)
                  .arg(m_limits.maxToolInputBytes));
    return false;
}

std::optional<QJsonObject> StreamDecoder::parseObject(const SseEvent &event)
{
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(event.data, &parseError);
    if (parseError.error != QJsonParseError::NoError || !doc.isObject()) {
        const QString why = parseError.error != QJsonParseError::NoError ? parseError.errorString()
                                                                         : QStringLiteral("not a JSON object");
        fail(StreamError::Kind::Protocol, QStringLiteral("malformed_event"),
             QStringLiteral("malformed JSON in '%1' event at offset %2: %3")
                 .arg(QString::fromUtf8(event.type))
                 .arg(parseError.offset)
                 .arg(why));
        return std::nullopt;
    }
    return doc.object();
}

QString StreamDecoder::describeJsonError(const QJsonParseError &error)
{
    if (error.error == QJsonParseError::NoError)
        return QStringLiteral("not a JSON object");
    return QStringLiteral("%1 at offset %2").arg(error.errorString()).arg(error.offset);
}

} // namespace airlock
