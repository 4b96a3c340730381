#pragma once

// Keeps a preview inside its workspace: file:// requests outside the folder (after
// resolving symlinks) and every network request are blocked, so a page an agent
// wrote can neither read the person's files nor phone home. The one way out: the
// loopback ports the session's VM forwards (its dev server), which are the guest's
// and reachable from this machine alone.

#include <QAtomicInt>
#include <QList>
#include <QSet>
#include <QWebEngineUrlRequestInterceptor>

namespace airlock {

class WorkspaceUrlFilter final : public QWebEngineUrlRequestInterceptor {
    Q_OBJECT
public:
    explicit WorkspaceUrlFilter(QObject *parent = nullptr);

    void setRoot(const QString &dir);
    void setLoopbackPorts(const QList<int> &ports);
    bool allows(const QUrl &url) const;
    int refused() const { return m_refused.loadRelaxed(); }
    void resetCount() { m_refused.storeRelaxed(0); }

    void interceptRequest(QWebEngineUrlRequestInfo &info) override;

private:
    QString m_root; // canonical, no trailing slash; empty → no file is allowed
    QSet<int> m_loopbackPorts;
    QAtomicInt m_refused;
};

} // namespace airlock
