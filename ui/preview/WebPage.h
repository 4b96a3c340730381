#pragma once

// A browser page as the Preview dock sees it. The implementation lives in a plugin
// (ui/webengine) that alone links Qt WebEngine, so the window neither loads nor
// starts Chromium until the first preview. Plain virtual functions: the plugin and
// the window are built together, by the same compiler.

#include <QList>
#include <QString>
#include <QUrl>
#include <QVariant>

#include <functional>

class QWidget;

namespace airlock {

class WebPage {
public:
    virtual ~WebPage() = default;

    // The view; it owns this page (deleting the widget deletes the page).
    virtual QWidget *widget() = 0;
    // file:// loads outside this folder, and every non-local URL, are refused.
    virtual void setAllowedRoot(const QString &dir) = 0;
    // http(s)://127.0.0.1:<port> and localhost:<port> for these ports are allowed
    // too: the session's VM forwards them (a dev server inside the guest).
    virtual void setAllowedLoopbackPorts(const QList<int> &ports) = 0;
    virtual void load(const QUrl &url) = 0;
    virtual void runJavaScript(const QString &script, std::function<void(const QVariant &)> done) = 0;
    virtual void setLoadFinishedHandler(std::function<void(bool)> handler) = 0;
    // How many requests setAllowedRoot's rule refused since the last load().
    virtual int refusedRequests() const = 0;
};

} // namespace airlock
