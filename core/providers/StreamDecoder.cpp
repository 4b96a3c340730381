#include "providers/StreamDecoder.h"

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
    m_parser.feed(bytes);
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

} // namespace airlock
