#pragma once

// A QWebEngineView on a private, off-the-record profile (no cookies or cache left
// on disk), limited to one workspace folder by WorkspaceUrlFilter.

#include "ui/preview/WebPage.h"

#include <QWebEngineView>

class QWebEngineProfile;

namespace airlock {

class WorkspaceUrlFilter;

class WebEnginePane final : public QWebEngineView, public WebPage {
    Q_OBJECT
public:
    explicit WebEnginePane(QWidget *parent = nullptr);
    ~WebEnginePane() override;

    QWidget *widget() override { return this; }
    void setAllowedRoot(const QString &dir) override;
    void setAllowedLoopbackPorts(const QList<int> &ports) override;
    void load(const QUrl &url) override;
    void runJavaScript(const QString &script, std::function<void(const QVariant &)> done) override;
    void setLoadFinishedHandler(std::function<void(bool)> handler) override;
    int refusedRequests() const override;

private:
    QWebEngineProfile *m_profile;
    WorkspaceUrlFilter *m_filter;
    QWebEnginePage *m_page;
    std::function<void(bool)> m_onLoadFinished;
};

} // namespace airlock
