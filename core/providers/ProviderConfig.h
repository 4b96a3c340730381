#pragma once

// Where and how to reach a model: provider kind, endpoint, key and transport limits.
// The key is held only in memory; nothing here is ever written to logs or events.

#include <QString>
#include <QStringList>

#include <optional>

namespace airlock {

enum class ProviderKind {
    Anthropic, // Messages API: POST {base}/v1/messages
    OpenAi,    // Chat Completions: POST {base}/chat/completions (OpenAI, Ollama, vLLM, llama.cpp, LM Studio)
};

struct ProviderConfig {
    ProviderKind kind = ProviderKind::Anthropic;
    // Anthropic: https://api.anthropic.com. OpenAI-compatible: the base that ends in
    // /v1, e.g. https://api.openai.com/v1 or http://localhost:11434/v1 (Ollama).
    QString baseUrl;
    QString model;
    QString apiKey; // optional for local OpenAI-compatible servers
    QString anthropicVersion = QStringLiteral("2023-06-01");
    QStringList anthropicBeta; // sent as one comma-separated anthropic-beta header
    int maxTokens = 4096;
    bool openAiIncludeUsage = true; // stream_options.include_usage
    // Most compatible servers take max_tokens; OpenAI's reasoning models want
    // max_completion_tokens.
    QString openAiMaxTokensField = QStringLiteral("max_tokens");
    std::optional<double> temperature;
    // Whether tool results' images (screenshots) are sent: a text-only model gets a
    // line naming the image's workspace file instead.
    enum class ImageInput { Accepted, TextOnly };
    ImageInput imageInput = ImageInput::Accepted;

    // Transport.
    int connectTimeoutMs = 10'000;
    int idleTimeoutMs = 90'000;   // no byte for this long aborts the stream
    int maxRetries = 2;           // extra attempts, only before the answer starts
    int initialBackoffMs = 500;   // doubles per attempt…
    int maxBackoffMs = 8'000;     // …up to this, minus up to 25% jitter
    int maxRetryAfterMs = 60'000; // a longer retry-after is not waited for

    static QString defaultBaseUrl(ProviderKind kind);
};

} // namespace airlock
