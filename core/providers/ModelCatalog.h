#pragma once

// The models a provider offers, for the chat's model picker: GET {base}/v1/models
// (Anthropic, paged) or GET {base}/models (OpenAI-compatible: OpenAI, Ollama, vLLM,
// llama.cpp, LM Studio). Blocking, with short timeouts: call it on a worker thread.

#include "core/providers/ProviderConfig.h"
#include "core/util/Result.h"

#include <QByteArray>
#include <QStringList>

namespace airlock {

class ModelCatalog {
public:
    static Result<QStringList> fetch(const ProviderConfig &config);
    // One page of a models list answer: the ids, and the id to continue after
    // (Anthropic's has_more/last_id; empty when complete).
    static Result<QStringList> parsePage(const QByteArray &json, QString *continueAfter = nullptr);
};

} // namespace airlock
