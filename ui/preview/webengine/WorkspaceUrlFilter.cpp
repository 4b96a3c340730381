#include "ui/preview/webengine/WorkspaceUrlFilter.h"

#include <QFileInfo>

namespace airlock {

WorkspaceUrlFilter::WorkspaceUrlFilter(QObject *parent) : QWebEngineUrlRequestInterceptor(parent) {}

void WorkspaceUrlFilter::setRoot(const QString &dir)
{
    m_root = QFileInfo(dir).canonicalFilePath();
}

void WorkspaceUrlFilter::setLoopbackPorts(const QList<int> &ports)
{
    m_loopbackPorts = QSet<int>(ports.begin(), ports.end());
}

bool WorkspaceUrlFilter::allows(const QUrl &url) const
{
    const QString scheme = url.scheme();
    if (scheme == QLatin1String("data") || scheme == QLatin1String("blob") || scheme == QLatin1String("about"))
        return true;
    if (scheme == QLatin1String("http") || scheme == QLatin1String("https") || scheme == QLatin1String("ws") ||
        scheme == QLatin1String("wss")) {
        const QString host = url.host();
        return (host == QLatin1String("127.0.0.1") || host == QLatin1String("localhost")) &&
               m_loopbackPorts.contains(url.port());
    }
    if (scheme != QLatin1String("file") || m_root.isEmpty())
        return false;
    const QFileInfo info(url.toLocalFile());
    // A file that does not exist yet has no canonical path: judge its folder.
    QString path = info.canonicalFilePath();
    if (path.isEmpty())
        path = QFileInfo(info.absolutePath()).canonicalFilePath();
    return path == m_root || path.startsWith(m_root + QLatin1Char('/'));
}

void WorkspaceUrlFilter::interceptRequest(QWebEngineUrlRequestInfo &info)
{
    if (allows(info.requestUrl()))
        return;
    info.block(true);
    m_refused.fetchAndAddRelaxed(1);
}

} // namespace airlock
