#include "core/providers/RequestImages.h"

#include <QLocale>

namespace airlock {

QString RequestImages::refusal(const ToolResultImage &image, const ProviderConfig &config)
{
    if (config.imageInput == ProviderConfig::ImageInput::TextOnly)
        return QStringLiteral("this model is set up as text-only");
    if (image.data.isEmpty())
        return image.omitted.isEmpty() ? QStringLiteral("no image data") : image.omitted;
    if (base64Size(image.data.size()) > kMaxBase64Bytes)
        return QStringLiteral("as base64 it is %1, more than the %2 a request may carry")
            .arg(QLocale::c().formattedDataSize(base64Size(image.data.size())),
                 QLocale::c().formattedDataSize(kMaxBase64Bytes));
    return {};
}

ChatRequest RequestImages::fitted(const ChatRequest &request, const ProviderConfig &config)
{
    ChatRequest out = request; // implicitly shared: only what changes is copied
    qint64 left = kMaxBase64Bytes;
    // Newest first: the latest screenshot is the one the model needs to see.
    for (auto m = out.messages.rbegin(); m != out.messages.rend(); ++m) {
        for (auto r = m->toolResults.rbegin(); r != m->toolResults.rend(); ++r) {
            for (auto i = r->images.rbegin(); i != r->images.rend(); ++i) {
                if (i->data.isEmpty())
                    continue;
                QString why = refusal(*i, config);
                if (why.isEmpty() && base64Size(i->data.size()) > left)
                    why = QStringLiteral("the request already carries newer images");
                if (why.isEmpty()) {
                    left -= base64Size(i->data.size());
                    continue;
                }
                i->data.clear();
                i->omitted = why;
            }
        }
    }
    return out;
}

QString RequestImages::note(const ToolResultImage &image)
{
    return QStringLiteral("[Airlock: the image %1 is not attached (%2); it is in the workspace.]")
        .arg(image.file.isEmpty() ? QStringLiteral("of this result") : image.file,
             image.omitted.isEmpty() ? QStringLiteral("not available") : image.omitted);
}

} // namespace airlock
