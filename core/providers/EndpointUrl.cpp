#include "core/providers/EndpointUrl.h"

namespace airlock {

Result<QUrl> EndpointUrl::join(const QString &base, QStringView path)
{
    QString text = base.trimmed();
    while (text.endsWith(u'/'))
        text.chop(1);
    const QUrl url(text + path, QUrl::StrictMode);
    if (!url.isValid() || url.host().isEmpty() || (url.scheme() != u"http" && url.scheme() != u"https"))
        return Error::make(Error::Code::BadInput,
                           QStringLiteral("base URL '%1' is not an http(s) URL with a host").arg(base));
    if (url.hasQuery() || url.hasFragment())
        return Error::make(Error::Code::BadInput,
                           QStringLiteral("base URL '%1' must not carry a query or fragment").arg(base));
    return url;
}

} // namespace airlock
