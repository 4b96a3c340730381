#include "ui/preview/webengine/WebEnginePane.h"

#include "ui/preview/webengine/WorkspaceUrlFilter.h"

#include <QWebEnginePage>
#include <QWebEngineProfile>
#include <QWebEngineSettings>

namespace airlock {

WebEnginePane::WebEnginePane(QWidget *parent)
    : QWebEngineView(parent), m_profile(new QWebEngineProfile), // no storage name: off the record
      m_filter(new WorkspaceUrlFilter(m_profile)), m_page(nullptr)
{
    setObjectName(QStringLiteral("webPreview"));
    // A profile must outlive its pages: it goes after this view and its page are gone.
    connect(this, &QObject::destroyed, m_profile, &QObject::deleteLater);
    m_profile->setUrlRequestInterceptor(m_filter);
    m_page = new QWebEnginePage(m_profile, this);
    QWebEngineSettings *s = m_page->settings();
    s->setAttribute(QWebEngineSettings::LocalContentCanAccessRemoteUrls, false);
    s->setAttribute(QWebEngineSettings::LocalContentCanAccessFileUrls, true); // within the workspace, by the filter
    s->setAttribute(QWebEngineSettings::LocalStorageEnabled, false);
    s->setAttribute(QWebEngineSettings::PluginsEnabled, false);
    setPage(m_page);
    connect(m_page, &QWebEnginePage::loadFinished, this, [this](bool ok) {
        if (m_onLoadFinished)
            m_onLoadFinished(ok);
    });
}

WebEnginePane::~WebEnginePane() = default;

void WebEnginePane::setAllowedRoot(const QString &dir)
{
    m_filter->setRoot(dir);
}

void WebEnginePane::setAllowedLoopbackPorts(const QList<int> &ports)
{
    m_filter->setLoopbackPorts(ports);
}

void WebEnginePane::load(const QUrl &url)
{
    m_filter->resetCount();
    QWebEngineView::load(url);
}

void WebEnginePane::runJavaScript(const QString &script, std::function<void(const QVariant &)> done)
{
    m_page->runJavaScript(script, [done = std::move(done)](const QVariant &v) {
        if (done)
            done(v);
    });
}

void WebEnginePane::setLoadFinishedHandler(std::function<void(bool)> handler)
{
    m_onLoadFinished = std::move(handler);
}

int WebEnginePane::refusedRequests() const
{
    return m_filter->refused();
}

} // namespace airlock
