#pragma once

// Browser tools (browser_navigate, _screenshot, _click, _type, _text, _console,
// _network, _set_viewport, _upload) over one headless Chromium per session,
// driven over the DevTools protocol on --remote-debugging-pipe (CdpConnection).
//
// The browser starts on first use with a fresh profile under Options::profileDir
// and reaches the network only through BrowserProxy, a loopback HTTP proxy that
// hands each request to the session's egress gate (Options::egress; none: all
// refused). One page target; its console, requests, dialogs and downloads are
// collected from events. Dialogs are accepted or dismissed at once (a call's
// `dialog` argument, default dismiss), so no call hangs on one; downloads land in
// the workspace. A browser that crashed, or did not answer a command in time, is
// replaced on the next call, with a log line saying so.
//
// run() blocks its (worker) thread; calls are serialised; cancel() is thread-safe.

#include "core/sandbox/EgressExchange.h"
#include "core/sandbox/Sandbox.h"
#include "sandbox/browser/BrowserProxy.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <atomic>
#include <memory>
#include <mutex>

namespace airlock {

class CdpConnection;
struct BrowserPageState;

class BrowserSandbox final : public Sandbox {
public:
    struct Viewport {
        int width = 1280;
        int height = 800;
        double deviceScaleFactor = 1.0;
        bool mobile = false;
    };
    struct Options {
        // Empty: $AIRLOCK_CHROMIUM, then chromium-headless-shell, chromium,
        // chromium-browser, google-chrome on PATH.
        QString chromiumPath;
        // The session's state folder: each browser start gets a fresh profile in it.
        QString profileDir;
        // Screenshots (screenshots/), downloads (downloads/) and upload sources.
        QString workspaceDir;
        // The session's egress gate; unset: every request the page makes is refused.
        EgressFetch egress;
        // The gate's CONNECT tunnels (EgressGate::openTunnel) for https:// pages, for
        // origins a rule allows whole; unset: HTTPS is refused.
        BrowserTunnelOpener tunnels;
        // Arguments added to Chromium's command line (tests: a certificate to trust).
        QStringList extraArguments;
        Viewport viewport;
        // Long side of a screenshot, in pixels, unless a call asks for another.
        int maxScreenshotSide = 1568;
        // Longest wait for one DevTools command.
        int commandTimeoutMs = 15000;
    };

    explicit BrowserSandbox(Options options);
    ~BrowserSandbox() override;

    // The tools' descriptions {name, description, inputSchema, annotations}.
    static QJsonArray toolDescriptions();
    // The Chromium this would start (Options::chromiumPath or the search), empty if none.
    static QString findChromium(const QString &configured = {});

    QString kind() const override { return QStringLiteral("browser"); }
    bool sharesWorkspace() const override { return true; }
    Status prepare(const LogSink &log = {}) override;
    Result<SandboxOutcome> run(const SandboxCall &call, const LogSink &log) override;
    void cancel(const QString &callId) override;
    void dispose() override;

    // The running browser's process id (-1: none), and its version string.
    qint64 browserPid() const;
    QString browserVersion() const;

private:
    Status ensureBrowser(const LogSink &log, const QString &callId);
    void stopBrowser();
    void onEvent(const QString &method, const QJsonObject &params, const QString &session);
    Result<QJsonObject> cdp(const QString &method, const QJsonObject &params = {}, int timeoutMs = -1);
    Result<QJsonValue> evaluate(const QString &expression, int timeoutMs = -1);
    Status waitForLoad(qint64 loadsBefore, bool networkIdle, int timeoutMs);
    void settle(int timeoutMs);
    void settleAfterAction(int timeoutMs);

    Result<QJsonObject> navigate(const QJsonObject &in, int timeoutMs);
    // The image, with where it was saved, is added to `images` for the model.
    Result<QJsonObject> screenshot(const QJsonObject &in, const QString &callId, QList<SandboxImage> &images);
    Result<QJsonObject> click(const QJsonObject &in);
    Result<QJsonObject> type(const QJsonObject &in);
    Result<QJsonObject> text(const QJsonObject &in);
    Result<QJsonObject> console(const QJsonObject &in);
    Result<QJsonObject> network(const QJsonObject &in);
    Result<QJsonObject> setViewport(const QJsonObject &in);
    Result<QJsonObject> upload(const QJsonObject &in);

    Options m_options;
    std::mutex m_runMutex; // one call at a time; guards the members below but m_state
    std::unique_ptr<BrowserProxy> m_proxy;
    std::unique_ptr<CdpConnection> m_cdp;
    std::unique_ptr<BrowserPageState> m_state; // its own mutex (events arrive on the reader thread)
    QString m_session;                         // the page target's flat session id
    QString m_version;
    Viewport m_viewport;
    int m_starts = 0;
    int m_shots = 0;
    std::atomic<bool> m_cancelled{false};
    // The connection as other threads see it (cancel, browserPid, the event handler).
    mutable std::mutex m_liveMutex;
    CdpConnection *m_live = nullptr;
    mutable std::mutex m_callMutex; // guards m_currentCall
    QString m_currentCall;
};

} // namespace airlock
