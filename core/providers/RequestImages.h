#pragma once

// Which of a conversation's tool-result images (screenshots) a request carries.
// Every request resends the whole conversation, so the images are bounded per
// request: the newest first, while their base64 fits kMaxBase64Bytes; older ones,
// and all of them for a text-only model, become a line naming the workspace file.

#include "core/providers/ChatRequest.h"
#include "core/providers/ProviderConfig.h"

#include <QString>

namespace airlock {

class RequestImages {
public:
    // Base64 bytes of images one request may hold (Anthropic takes at most 5 MB per
    // image and 32 MB per request; a few MB keeps a turn quick).
    static constexpr qint64 kMaxBase64Bytes = qint64(4) * 1024 * 1024;

    static qint64 base64Size(qint64 bytes) { return (bytes + 2) / 3 * 4; }
    // Why `image` could never be sent to this model (empty: it can).
    static QString refusal(const ToolResultImage &image, const ProviderConfig &config);
    // `request` with the images it cannot carry emptied and `omitted` said.
    static ChatRequest fitted(const ChatRequest &request, const ProviderConfig &config);
    // The line the model reads in place of an image that is not sent.
    static QString note(const ToolResultImage &image);
};

} // namespace airlock
