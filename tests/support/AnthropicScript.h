#pragma once

// Writes Anthropic Messages SSE streams for tests, framed as the service frames
// them: message_start, content blocks (tool input as input_json_delta fragments
// that split the JSON anywhere), a ping, message_delta with the stop reason and
// usage, message_stop.

#include <QByteArray>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace airlock::test {

class AnthropicScript {
public:
    AnthropicScript &text(const QString &t)
    {
        startBlock(QJsonObject{{"type", "text"}, {"text", ""}});
        event("content_block_delta", QJsonObject{{"type", "content_block_delta"},
                                                 {"index", m_index},
                                                 {"delta", QJsonObject{{"type", "text_delta"}, {"text", t}}}});
        stopBlock();
        return *this;
    }
    AnthropicScript &toolUse(const QString &id, const QString &name, const QJsonObject &input)
    {
        return toolUseRaw(id, name, QJsonDocument(input).toJson(QJsonDocument::Compact));
    }
    // A tool_use whose input_json_delta pieces join to `json` as given (valid or not).
    AnthropicScript &toolUseRaw(const QString &id, const QString &name, const QByteArray &json)
    {
        startBlock(QJsonObject{{"type", "tool_use"}, {"id", id}, {"name", name}, {"input", QJsonObject{}}});
        for (qsizetype i = 0; i < json.size(); i += 5) // fragments split keys and values
            event("content_block_delta",
                  QJsonObject{{"type", "content_block_delta"},
                              {"index", m_index},
                              {"delta", QJsonObject{{"type", "input_json_delta"},
                                                    {"partial_json", QString::fromUtf8(json.mid(i, 5))}}}});
        stopBlock();
        return *this;
    }
    QByteArray end(const QString &stopReason, int outputTokens = 20)
    {
        QByteArray out = header();
        out += m_body;
        out += frame("ping", QJsonObject{{"type", "ping"}});
        out += frame("message_delta", QJsonObject{{"type", "message_delta"},
                                                  {"delta", QJsonObject{{"stop_reason", stopReason}}},
                                                  {"usage", QJsonObject{{"output_tokens", outputTokens}}}});
        out += frame("message_stop", QJsonObject{{"type", "message_stop"}});
        return out;
    }
    // The stream as far as it got, for a connection that drops mid-answer.
    QByteArray partial() const { return header() + m_body; }
    // The stream so far, then an `event: error` (e.g. overloaded_error) that ends it.
    QByteArray error(const QString &type, const QString &message) const
    {
        return partial() + frame("error", QJsonObject{{"type", "error"},
                                                      {"error", QJsonObject{{"type", type}, {"message", message}}}});
    }
    // The JSON body of an HTTP error answer, as the Messages API sends it.
    static QByteArray errorBody(const QString &type, const QString &message)
    {
        return QJsonDocument(QJsonObject{{"type", "error"},
                                         {"error", QJsonObject{{"type", type}, {"message", message}}},
                                         {"request_id", "req_test"}})
            .toJson(QJsonDocument::Compact);
    }

private:
    static QByteArray frame(const char *name, const QJsonObject &data)
    {
        return QByteArray("event: ") + name + "\ndata: " + QJsonDocument(data).toJson(QJsonDocument::Compact) + "\n\n";
    }
    QByteArray header() const
    {
        return frame(
            "message_start",
            QJsonObject{{"type", "message_start"},
                        {"message", QJsonObject{{"id", "msg_test"},
                                                {"type", "message"},
                                                {"role", "assistant"},
                                                {"model", "claude-test"},
                                                {"content", QJsonArray{}},
                                                {"stop_reason", QJsonValue::Null},
                                                {"usage", QJsonObject{{"input_tokens", 100}, {"output_tokens", 1}}}}}});
    }
    void event(const char *name, const QJsonObject &data) { m_body += frame(name, data); }
    void startBlock(const QJsonObject &block)
    {
        ++m_index;
        event("content_block_start",
              QJsonObject{{"type", "content_block_start"}, {"index", m_index}, {"content_block", block}});
    }
    void stopBlock() { event("content_block_stop", QJsonObject{{"type", "content_block_stop"}, {"index", m_index}}); }

    QByteArray m_body;
    int m_index = -1;
};

} // namespace airlock::test
