#pragma once

// Helpers shared by the provider tests: recorded streams and a compact, comparable
// text form of decoded items.

#include "core/providers/StreamItem.h"

#include <QFile>
#include <QJsonDocument>
#include <QStringList>

#include <vector>

namespace airlock::test {

inline QByteArray recordedStream(const QString &name)
{
    QFile file(QStringLiteral(AIRLOCK_SOURCE_DIR "/tests/core/providers/streams/") + name);
    if (!file.open(QIODevice::ReadOnly))
        qFatal("cannot open recorded stream %s", qPrintable(name));
    return file.readAll();
}

inline QString itemText(const StreamItem &item)
{
    switch (item.kind) {
    case StreamItem::Kind::TextDelta:
        return QStringLiteral("text:") + item.text;
    case StreamItem::Kind::ToolCall:
        return QStringLiteral("tool:%1:%2:%3")
                   .arg(item.toolCallId, item.toolName,
                        QString::fromUtf8(QJsonDocument(item.toolInput).toJson(QJsonDocument::Compact))) +
               (item.toolInputError.isEmpty() ? QString() : QStringLiteral(":malformed:") + item.rawToolInput);
    case StreamItem::Kind::Usage:
        return QStringLiteral("usage:in=%1,out=%2,cache_write=%3,cache_read=%4")
            .arg(item.usage.inputTokens)
            .arg(item.usage.outputTokens)
            .arg(item.usage.cacheCreationInputTokens)
            .arg(item.usage.cacheReadInputTokens);
    case StreamItem::Kind::Stop:
        return QStringLiteral("stop:%1(%2)").arg(stopReasonName(item.stopReason), item.rawStopReason);
    case StreamItem::Kind::Error:
        return QStringLiteral("error:%1:%2:%3%4")
            .arg(streamErrorKindName(item.error.kind), item.error.type)
            .arg(item.error.httpStatus)
            .arg(item.error.retryable ? QStringLiteral(":retryable") : QString());
    case StreamItem::Kind::Retrying:
        return QStringLiteral("retrying:%1/%2:%3")
            .arg(item.retry.attempt)
            .arg(item.retry.maxAttempts)
            .arg(item.retry.error.httpStatus);
    }
    return {};
}

inline QStringList itemTexts(const std::vector<StreamItem> &items)
{
    QStringList out;
    for (const StreamItem &item : items)
        out.append(itemText(item));
    return out;
}

} // namespace airlock::test
