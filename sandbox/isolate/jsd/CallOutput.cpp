#include "sandbox/isolate/jsd/CallOutput.h"

#include "sandbox/isolate/jsd/JsonWriter.h"
#include "sandbox/isolate/jsd/V8Strings.h"

#include <QJsonObject>

#include <algorithm>

namespace airlock::jsd {
namespace {

// The JSON description of a file's tools.
constexpr qint64 kMaxSchemaBytes = 4 << 20;
// A result can never be larger than a frame body.
constexpr qint64 kMaxResultBytes = 48 << 20;

} // namespace

Frame CallOutput::schema(v8::Local<v8::Value> described)
{
    JsonOutcome json = writeJson(m_isolate, m_context, described, kMaxSchemaBytes);
    if (json.status == JsonOutcome::Status::Threw)
        return m_errors.caught("invalid_tool");
    if (json.status != JsonOutcome::Status::Ok) {
        if (auto f = m_errors.stopped())
            return *f;
        return m_errors.make(
            "invalid_tool",
            QStringLiteral("the description of the file's tools cannot be written as JSON (at %1)").arg(json.where));
    }
    if (auto f = m_errors.stoppedOrOverLimit())
        return *f;
    Frame frame;
    frame.header = QJsonObject{{QStringLiteral("type"), QStringLiteral("schema")},
                               {QStringLiteral("id"), m_job.id},
                               {QStringLiteral("us"), elapsedUs(m_job)}};
    frame.body = std::move(json.text);
    return frame;
}

Frame CallOutput::result(v8::Local<v8::Value> value, const QString &toolName)
{
    const qint64 limit = std::clamp<qint64>(m_job.resultLimit, 0, kMaxResultBytes);
    QByteArray body;
    if (value->IsUndefined())
        value = v8::Null(m_isolate); // as before: a tool that returns nothing returns null
    const bool isString = value->IsString();
    if (isString) {
        v8::Local<v8::String> text = value.As<v8::String>();
        // Each UTF-16 unit is at least one UTF-8 byte: a longer string cannot fit,
        // and a huge one is not worth measuring exactly.
        if (text->Length() > limit && text->Length() > (1 << 26))
            return m_errors.make(
                "result_too_large",
                QStringLiteral("the result is over %1 bytes, over the %2-byte limit").arg(text->Length()).arg(limit));
        const qint64 size = text->Utf8Length(m_isolate);
        if (size > limit)
            return m_errors.make("result_too_large",
                                 QStringLiteral("the result is %1 bytes, over the %2-byte limit").arg(size).arg(limit));
        body = QByteArray(qsizetype(size), Qt::Uninitialized);
        text->WriteUtf8(m_isolate, body.data(), int(size), nullptr, v8::String::NO_NULL_TERMINATION);
    } else {
        JsonOutcome json = writeJson(m_isolate, m_context, value, limit);
        if (json.status != JsonOutcome::Status::Ok)
            if (auto f = m_errors.stopped())
                return *f;
        switch (json.status) {
        case JsonOutcome::Status::Ok:
            body = std::move(json.text);
            break;
        case JsonOutcome::Status::TooLarge:
            return m_errors.make("result_too_large",
                                 QStringLiteral("the result is larger than the %1-byte limit (stopped at %2)")
                                     .arg(limit)
                                     .arg(json.where));
        case JsonOutcome::Status::TooDeep:
            return m_errors.make("result_too_large",
                                 QStringLiteral("the result is nested more than %1 levels deep (at %2), deeper than "
                                                "JSON readers accept")
                                     .arg(kMaxJsonDepth)
                                     .arg(clip(json.where, 200)));
        case JsonOutcome::Status::Cycle:
            return m_errors.make("thrown", QStringLiteral("TypeError: the result of %1 is not JSON-serialisable: it "
                                                          "contains itself (a cycle at %2)")
                                               .arg(toolName, json.where));
        case JsonOutcome::Status::BigInt:
            return m_errors.make("thrown",
                                 QStringLiteral("TypeError: the result of %1 is not JSON-serialisable: a BigInt at %2 "
                                                "(convert it to a string or a number)")
                                     .arg(toolName, json.where));
        case JsonOutcome::Status::Unserialisable:
            return m_errors.make(
                "thrown",
                QStringLiteral("TypeError: the result of %1 is not JSON-serialisable (%2)").arg(toolName, json.what));
        case JsonOutcome::Status::Threw: {
            auto [text, stack] = m_errors.describeCaught();
            return m_errors.make(
                "thrown", QStringLiteral("the result of %1 could not be serialised: %2").arg(toolName, text), stack);
        }
        }
    }
    // A limit hit that the tool caught (a refused ArrayBuffer is a RangeError first)
    // still ends the call.
    if (auto f = m_errors.stoppedOrOverLimit())
        return *f;
    Frame frame;
    frame.header = QJsonObject{{QStringLiteral("type"), QStringLiteral("result")},
                               {QStringLiteral("id"), m_job.id},
                               {QStringLiteral("isString"), isString},
                               {QStringLiteral("us"), elapsedUs(m_job)}};
    frame.body = std::move(body);
    return frame;
}

} // namespace airlock::jsd
