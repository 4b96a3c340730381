#pragma once

// Writes OpenAI Chat Completions streams for tests, framed as the service frames
// them: data-only SSE chunks, tool-call arguments split across chunks by index,
// finish_reason, a usage chunk (stream_options.include_usage), then [DONE].

#include <QByteArray>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace airlock::test {

class OpenAiScript {
public:
    OpenAiScript &text(const QString &t)
    {
        chunk(QJsonObject{{"content", t}});
        return *this;
    }
    // Several calls' argument fragments are interleaved, as parallel calls stream.
    OpenAiScript &toolCalls(const QList<QPair<QString, QJsonObject>> &calls, const QString &name)
    {
        QList<QByteArray> args;
        for (int i = 0; i < calls.size(); ++i) {
            args << QJsonDocument(calls[i].second).toJson(QJsonDocument::Compact);
            chunk(QJsonObject{
                {"tool_calls", QJsonArray{QJsonObject{{"index", i},
                                                      {"id", calls[i].first},
                                                      {"type", "function"},
                                                      {"function", QJsonObject{{"name", name}, {"arguments", ""}}}}}}});
        }
        for (int at = 0;; at += 4) {
            bool more = false;
            for (int i = 0; i < args.size(); ++i)
                if (at < args[i].size()) {
                    more = true;
                    chunk(QJsonObject{
                        {"tool_calls",
                         QJsonArray{QJsonObject{
                             {"index", i},
                             {"function", QJsonObject{{"arguments", QString::fromUtf8(args[i].mid(at, 4))}}}}}}});
                }
            if (!more)
                break;
        }
        return *this;
    }
    // One call whose arguments string is `raw` as given (valid JSON or not).
    OpenAiScript &toolCallRaw(const QString &id, const QString &name, const QString &raw)
    {
        chunk(QJsonObject{
            {"tool_calls", QJsonArray{QJsonObject{{"index", 0},
                                                  {"id", id},
                                                  {"type", "function"},
                                                  {"function", QJsonObject{{"name", name}, {"arguments", raw}}}}}}});
        return *this;
    }
    // The stream so far, then an error object in a data line (as compatible servers send it).
    QByteArray error(const QString &type, const QString &message) const
    {
        return m_body + data(QJsonObject{{"error", QJsonObject{{"type", type}, {"message", message}}}});
    }
    QByteArray end(const QString &finishReason)
    {
        QByteArray out = m_body;
        out += data(QJsonObject{
            {"id", "chatcmpl-t"},
            {"object", "chat.completion.chunk"},
            {"choices",
             QJsonArray{QJsonObject{{"index", 0}, {"delta", QJsonObject{}}, {"finish_reason", finishReason}}}}});
        out += data(QJsonObject{
            {"id", "chatcmpl-t"},
            {"object", "chat.completion.chunk"},
            {"choices", QJsonArray{}},
            {"usage", QJsonObject{{"prompt_tokens", 50}, {"completion_tokens", 10}, {"total_tokens", 60}}}});
        out += "data: [DONE]\n\n";
        return out;
    }

private:
    static QByteArray data(const QJsonObject &o)
    {
        return "data: " + QJsonDocument(o).toJson(QJsonDocument::Compact) + "\n\n";
    }
    void chunk(const QJsonObject &delta)
    {
        m_body += data(QJsonObject{
            {"id", "chatcmpl-t"},
            {"object", "chat.completion.chunk"},
            {"choices", QJsonArray{QJsonObject{{"index", 0}, {"delta", delta}, {"finish_reason", QJsonValue::Null}}}}});
    }
    QByteArray m_body;
};

} // namespace airlock::test
