#include "sandbox/browser/BrowserSandbox.h"

#include "sandbox/browser/BrowserPageState.h"
#include "sandbox/browser/BrowserProxy.h"
#include "sandbox/browser/CdpConnection.h"

#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QStandardPaths>

#include <algorithm>
#include <cmath>
#include <optional>

#include <unistd.h>

namespace airlock {

namespace {

constexpr qsizetype kMaxConsole = 2000;
constexpr qsizetype kMaxRequests = 2000;

Error bad(const QString &message)
{
    return Error::make(Error::Code::BadInput, message);
}

QString jsString(const QString &s)
{
    return QString::fromUtf8(QJsonDocument(QJsonArray{s}).toJson(QJsonDocument::Compact).mid(1).chopped(1));
}

int intArg(const QJsonObject &in, const char *key, int fallback)
{
    const QJsonValue v = in.value(QLatin1String(key));
    return v.isDouble() ? int(v.toDouble()) : fallback;
}

// Pixel size of a PNG (IHDR) or JPEG (first SOFn marker); nullopt when unreadable.
std::optional<std::pair<int, int>> imageSize(const QByteArray &d)
{
    auto be16 = [&](qsizetype i) { return (uchar(d[i]) << 8) | uchar(d[i + 1]); };
    auto be32 = [&](qsizetype i) { return int((uint(be16(i)) << 16) | uint(be16(i + 2))); };
    if (d.size() >= 24 && d.startsWith("\x89PNG\r\n\x1a\n") && d.mid(12, 4) == "IHDR")
        return std::pair{be32(16), be32(20)};
    if (d.size() < 4 || uchar(d[0]) != 0xFF || uchar(d[1]) != 0xD8)
        return std::nullopt;
    qsizetype i = 2;
    while (i + 9 < d.size()) {
        if (uchar(d[i]) != 0xFF)
            return std::nullopt;
        const int marker = uchar(d[i + 1]);
        const int len = be16(i + 2);
        if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC)
            return std::pair{be16(i + 7), be16(i + 5)};
        i += 2 + len;
    }
    return std::nullopt;
}

// The page-side helper that finds an element by selector or text, scrolls it into
// view and says where it is and what it is. `%1` selector, `%2` text (JSON strings or null).
const char *kFindElement = R"JS((() => {
  const describe = (el) => {
    if (!el) return null;
    let d = el.tagName.toLowerCase();
    if (el.id) d += '#' + el.id;
    if (el.classList && el.classList.length) d += '.' + [...el.classList].slice(0, 3).join('.');
    const t = (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().replace(/\s+/g, ' ');
    if (t) d += ' "' + t.slice(0, 80) + '"';
    return d;
  };
  const selector = %1, text = %2;
  let el = null;
  if (selector) el = document.querySelector(selector);
  else if (text) {
    const want = text.trim().toLowerCase();
    const visible = (e) => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
    const label = (e) => (e.innerText || e.value || e.getAttribute('aria-label') || '').trim().replace(/\s+/g, ' ').toLowerCase();
    const interactive = [...document.querySelectorAll('a,button,input,select,textarea,summary,label,[role=button],[role=link],[onclick]')].filter(visible);
    el = interactive.find(e => label(e) === want) || interactive.find(e => label(e).includes(want));
    if (!el) {
      const all = [...document.body.querySelectorAll('*')].filter(e => visible(e) && label(e).includes(want));
      all.sort((a, b) => label(a).length - label(b).length);
      el = all[0] || null;
    }
  }
  if (!el) return { found: false };
  el.scrollIntoView({ block: 'center', inline: 'center' });
  const r = el.getBoundingClientRect();
  const x = r.left + r.width / 2, y = r.top + r.height / 2;
  const hit = document.elementFromPoint(x, y);
  return { found: true, x, y, width: r.width, height: r.height, element: describe(el),
           hit: describe(hit), covered: !!hit && hit !== el && !el.contains(hit),
           pageX: r.left + window.scrollX, pageY: r.top + window.scrollY };
})())JS";

struct KeyInfo {
    const char *key, *code;
    int keyCode;
    const char *text;
};

std::optional<KeyInfo> keyInfo(const QString &key)
{
    static const KeyInfo keys[] = {
        {"Enter", "Enter", 13, "\r"},
        {"Tab", "Tab", 9, ""},
        {"Escape", "Escape", 27, ""},
        {"Backspace", "Backspace", 8, ""},
        {"Delete", "Delete", 46, ""},
        {"ArrowUp", "ArrowUp", 38, ""},
        {"ArrowDown", "ArrowDown", 40, ""},
        {"ArrowLeft", "ArrowLeft", 37, ""},
        {"ArrowRight", "ArrowRight", 39, ""},
        {"Home", "Home", 36, ""},
        {"End", "End", 35, ""},
        {"PageUp", "PageUp", 33, ""},
        {"PageDown", "PageDown", 34, ""},
        {"Space", "Space", 32, " "},
    };
    for (const KeyInfo &k : keys)
        if (key.compare(QLatin1String(k.key), Qt::CaseInsensitive) == 0)
            return k;
    return std::nullopt;
}

QString consoleLevel(const QString &type)
{
    if (type == QLatin1String("warning"))
        return QStringLiteral("warn");
    if (type == QLatin1String("error") || type == QLatin1String("assert"))
        return QStringLiteral("error");
    if (type == QLatin1String("debug") || type == QLatin1String("verbose"))
        return QStringLiteral("debug");
    if (type == QLatin1String("info"))
        return QStringLiteral("info");
    return QStringLiteral("log");
}

QString timeFromEpochSeconds(double seconds)
{
    return QDateTime::fromMSecsSinceEpoch(qint64(seconds * 1000), Qt::UTC).toString(Qt::ISODateWithMs);
}

} // namespace

QString BrowserSandbox::findChromium(const QString &configured)
{
    QString path = configured;
    if (path.isEmpty())
        path = qEnvironmentVariable("AIRLOCK_CHROMIUM");
    if (path.isEmpty()) {
        for (const char *name : {"chromium-headless-shell", "chromium", "chromium-browser", "google-chrome"}) {
            path = QStandardPaths::findExecutable(QString::fromLatin1(name));
            if (!path.isEmpty())
                break;
        }
    }
    if (path.isEmpty())
        return {};
    // Debian's /usr/bin/chromium-headless-shell is a shell script that runs the
    // binary as its child, not with exec: start the binary itself, so that the
    // process we watch is the browser.
    if (QFileInfo(path).fileName() == QLatin1String("chromium-headless-shell")) {
        const QString real = QStringLiteral("/usr/lib/chromium/chromium-headless-shell");
        if (QFileInfo(real).isExecutable())
            return real;
    }
    return QFileInfo(path).isExecutable() ? QFileInfo(path).absoluteFilePath() : QString();
}

BrowserSandbox::BrowserSandbox(Options options)
    : m_options(std::move(options)), m_state(std::make_unique<BrowserPageState>()), m_viewport(m_options.viewport)
{
}

BrowserSandbox::~BrowserSandbox()
{
    dispose();
}

Status BrowserSandbox::prepare(const LogSink &log)
{
    std::lock_guard lock(m_runMutex);
    return ensureBrowser(log, QString());
}

void BrowserSandbox::dispose()
{
    std::lock_guard lock(m_runMutex);
    stopBrowser();
    if (m_proxy)
        m_proxy->stop();
    m_proxy.reset();
}

void BrowserSandbox::cancel(const QString &callId)
{
    {
        std::lock_guard lock(m_callMutex);
        if (m_currentCall.isEmpty() || (!callId.isEmpty() && callId != m_currentCall))
            return;
    }
    m_cancelled = true;
    m_state->changed.notify_all();
    std::lock_guard lock(m_liveMutex);
    if (m_live)
        m_live->wakeAll();
}

qint64 BrowserSandbox::browserPid() const
{
    std::lock_guard lock(m_liveMutex);
    return m_live ? m_live->pid() : -1;
}

QString BrowserSandbox::browserVersion() const
{
    return m_version;
}

void BrowserSandbox::stopBrowser()
{
    {
        // Other threads (cancel, the reader's event handler) stop using it first;
        // the destructor then joins the reader, so this must not be held there.
        std::lock_guard lock(m_liveMutex);
        m_live = nullptr;
    }
    m_cdp.reset(); // kills the process group
    m_session.clear();
    std::lock_guard lock(m_state->mutex);
    m_state->mainFrameId.clear();
    m_state->mainFrameLoading = false;
    m_state->inflight.clear();
}

Status BrowserSandbox::ensureBrowser(const LogSink &log, const QString &callId)
{
    auto say = [&](const QString &line) {
        if (log)
            log(SandboxLogLine{callId, QStringLiteral("stderr"), line});
    };
    if (m_cdp) {
        // One cheap round trip to the browser process: a dead pipe or a hung browser shows here.
        if (m_cdp->alive() && !m_cdp->timedOut() &&
            m_cdp->send(QStringLiteral("Browser.getVersion"), {}, {}, 5000, &m_cancelled).ok())
            return {};
        if (m_cdp->alive()) // give a dying process a moment to be reaped, for the log line
            (void)m_cdp->send(QStringLiteral("Browser.getVersion"), {}, {}, 1000);
        const QString why = m_cdp->alive() ? QStringLiteral("stopped answering") : m_cdp->exitDescription();
        say(QStringLiteral("browser: Chromium (pid %1) %2; starting a new one").arg(m_cdp->pid()).arg(why));
        stopBrowser();
    }
    const QString chromium = findChromium(m_options.chromiumPath);
    if (chromium.isEmpty())
        return Error::make(Error::Code::NotFound,
                           QStringLiteral("browser: no Chromium found (install Debian's chromium-headless-shell or "
                                          "chromium, or set AIRLOCK_CHROMIUM)"));
    if (m_options.profileDir.isEmpty())
        return bad(QStringLiteral("browser: no profile folder configured"));
    if (!m_proxy) {
        m_proxy = std::make_unique<BrowserProxy>(m_options.egress, m_options.tunnels);
        if (const Status s = m_proxy->start(); !s)
            return s;
    }
    // A fresh profile for every start: nothing of an earlier page survives a restart.
    ++m_starts;
    const QString profile = QDir(m_options.profileDir).absoluteFilePath(QStringLiteral("chromium-profile"));
    QDir(profile).removeRecursively();
    if (!QDir().mkpath(profile))
        return Error::make(Error::Code::Io, QStringLiteral("browser: cannot create %1").arg(profile));
    QStringList args{
        QStringLiteral("--remote-debugging-pipe"), QStringLiteral("--user-data-dir=") + profile,
        QStringLiteral("--no-first-run"), QStringLiteral("--no-default-browser-check"),
        QStringLiteral("--disable-background-networking"), QStringLiteral("--disable-component-update"),
        QStringLiteral("--disable-sync"), QStringLiteral("--metrics-recording-only"),
        QStringLiteral("--disable-default-apps"), QStringLiteral("--mute-audio"), QStringLiteral("--hide-scrollbars"),
        // A page the tools drive is never "in the background": no timer
        // throttling or renderer backgrounding to slow it down.
        QStringLiteral("--disable-background-timer-throttling"),
        QStringLiteral("--disable-backgrounding-occluded-windows"), QStringLiteral("--disable-renderer-backgrounding"),
        QStringLiteral("--disable-ipc-flooding-protection"), QStringLiteral("--force-color-profile=srgb"),
        // Typed http:// URLs must not be tried as https:// first: HTTPS does not pass the proxy.
        QStringLiteral("--disable-features=HttpsUpgrades,HttpsFirstBalancedModeAutoEnable"),
        QStringLiteral("--proxy-server=http://127.0.0.1:%1").arg(m_proxy->port()),
        // Loopback too goes through the proxy: the gate decides.
        QStringLiteral("--proxy-bypass-list=<-loopback>"),
        QStringLiteral("--window-size=%1,%2").arg(m_viewport.width).arg(m_viewport.height)};
    if (!QFileInfo(chromium).fileName().contains(QLatin1String("headless-shell")))
        args.prepend(QStringLiteral("--headless=new"));
    // Chromium's own sandbox needs user namespaces that root cannot use for it.
    if (::geteuid() == 0)
        args << QStringLiteral("--no-sandbox");
    args << m_options.extraArguments << QStringLiteral("about:blank");
    auto launched = CdpConnection::launch(
        chromium, args, QDir(m_options.profileDir).absoluteFilePath(QStringLiteral("chromium.log")),
        [this](const QString &m, const QJsonObject &p, const QString &s) { onEvent(m, p, s); });
    if (!launched)
        return launched.error();
    m_cdp = std::move(*launched);
    {
        std::lock_guard lock(m_liveMutex);
        m_live = m_cdp.get();
    }
    {
        std::lock_guard lock(m_state->mutex);
        m_state->loads = 0;
        m_state->requests = {};
        m_state->index.clear();
        m_state->requestsRead = 0;
    }
    auto fail = [&](const Error &e) {
        stopBrowser();
        return Error::make(e.code,
                           QStringLiteral("browser: Chromium did not start (%1); see %2")
                               .arg(e.message, QDir(m_options.profileDir).filePath(QStringLiteral("chromium.log"))));
    };
    const auto version = m_cdp->send(QStringLiteral("Browser.getVersion"), {}, {}, 30000);
    if (!version)
        return fail(version.error());
    m_version = version->value(QLatin1String("product")).toString();
    const auto target =
        m_cdp->send(QStringLiteral("Target.createTarget"), {{QStringLiteral("url"), QStringLiteral("about:blank")}});
    if (!target)
        return fail(target.error());
    const auto attached = m_cdp->send(
        QStringLiteral("Target.attachToTarget"),
        {{QStringLiteral("targetId"), target->value(QLatin1String("targetId"))}, {QStringLiteral("flatten"), true}});
    if (!attached)
        return fail(attached.error());
    m_session = attached->value(QLatin1String("sessionId")).toString();
    for (const char *domain : {"Page.enable", "Runtime.enable", "Network.enable", "Log.enable"})
        if (const auto r = cdp(QString::fromLatin1(domain)); !r)
            return fail(r.error());
    const auto tree = cdp(QStringLiteral("Page.getFrameTree"));
    if (!tree)
        return fail(tree.error());
    {
        std::lock_guard lock(m_state->mutex);
        m_state->mainFrameId = tree->value(QLatin1String("frameTree"))
                                   .toObject()
                                   .value(QLatin1String("frame"))
                                   .toObject()
                                   .value(QLatin1String("id"))
                                   .toString();
    }
    if (const auto r = setViewport(QJsonObject{}); !r)
        return fail(r.error());
    const QString downloads = QDir(m_options.workspaceDir).absoluteFilePath(QStringLiteral("downloads"));
    if (!m_options.workspaceDir.isEmpty() && QDir().mkpath(downloads)) {
        const auto r = m_cdp->send(QStringLiteral("Browser.setDownloadBehavior"),
                                   {{QStringLiteral("behavior"), QStringLiteral("allow")},
                                    {QStringLiteral("downloadPath"), downloads},
                                    {QStringLiteral("eventsEnabled"), true}});
        if (!r)
            return fail(r.error());
    }
    say(QStringLiteral("browser: %1 started (pid %2)%3")
            .arg(m_version)
            .arg(m_cdp->pid())
            .arg(m_starts > 1 ? QStringLiteral(", start %1 of this session").arg(m_starts) : QString()));
    return {};
}

void BrowserSandbox::onEvent(const QString &method, const QJsonObject &p, const QString &session)
{
    BrowserPageState &st = *m_state;
    std::unique_lock lock(st.mutex);
    auto str = [&](const QJsonObject &o, const char *key) { return o.value(QLatin1String(key)).toString(); };
    auto pushConsole = [&](QJsonObject entry) {
        st.console.append(entry);
        if (st.console.size() > kMaxConsole) {
            st.console.removeFirst();
            ++st.consoleDropped;
            st.consoleRead = std::max<qsizetype>(0, st.consoleRead - 1);
        }
    };
    auto request = [&](const QString &id) -> std::optional<qsizetype> {
        const auto it = st.index.find(id);
        if (it == st.index.end())
            return std::nullopt;
        return it->second;
    };
    auto update = [&](const QString &id, const std::function<void(QJsonObject &)> &f) {
        if (const auto i = request(id)) {
            QJsonObject o = st.requests.at(*i).toObject();
            f(o);
            st.requests.replace(*i, o);
        }
    };
    auto networkChanged = [&] { st.lastNetworkChange = std::chrono::steady_clock::now(); };

    if (method == QLatin1String("Page.loadEventFired")) {
        ++st.loads;
    } else if (method == QLatin1String("Page.frameStartedLoading")) {
        if (str(p, "frameId") == st.mainFrameId) {
            st.mainFrameLoading = true;
            ++st.navigations;
        }
    } else if (method == QLatin1String("Page.frameRequestedNavigation")) {
        if (str(p, "frameId") == st.mainFrameId)
            ++st.navigations;
    } else if (method == QLatin1String("Page.frameNavigated")) {
        const QJsonObject frame = p.value(QLatin1String("frame")).toObject();
        if (!frame.contains(QLatin1String("parentId")))
            st.url =
                frame.value(QLatin1String("url")).toString() + frame.value(QLatin1String("urlFragment")).toString();
    } else if (method == QLatin1String("Page.navigatedWithinDocument")) {
        if (str(p, "frameId") == st.mainFrameId)
            st.url = str(p, "url");
    } else if (method == QLatin1String("Page.frameStoppedLoading")) {
        if (str(p, "frameId") == st.mainFrameId)
            st.mainFrameLoading = false;
    } else if (method == QLatin1String("Page.javascriptDialogOpening")) {
        // Answered here and now: a dialog left open would block the page and the call.
        const bool accept = st.acceptDialogs;
        QJsonObject params{{QStringLiteral("accept"), accept}};
        if (accept && str(p, "type") == QLatin1String("prompt"))
            params.insert(QStringLiteral("promptText"),
                          st.promptText.isEmpty() ? str(p, "defaultPrompt") : st.promptText);
        st.dialogs.append(
            QJsonObject{{QStringLiteral("type"), str(p, "type")},
                        {QStringLiteral("message"), str(p, "message").left(2000)},
                        {QStringLiteral("action"), accept ? QStringLiteral("accepted") : QStringLiteral("dismissed")}});
        lock.unlock();
        std::lock_guard live(m_liveMutex);
        if (m_live)
            m_live->sendAsync(QStringLiteral("Page.handleJavaScriptDialog"), params, session);
        lock.lock();
    } else if (method == QLatin1String("Runtime.consoleAPICalled")) {
        QStringList parts;
        for (const QJsonValue &a : p.value(QLatin1String("args")).toArray()) {
            const QJsonObject arg = a.toObject();
            const QJsonValue v = arg.value(QLatin1String("value"));
            if (v.isString())
                parts << v.toString();
            else if (!v.isUndefined() && !v.isNull())
                parts << QString::fromUtf8(
                    QJsonDocument(QJsonArray{v}).toJson(QJsonDocument::Compact).mid(1).chopped(1));
            else
                parts << (arg.contains(QLatin1String("description")) ? str(arg, "description") : str(arg, "type"));
        }
        const QJsonObject frame = p.value(QLatin1String("stackTrace"))
                                      .toObject()
                                      .value(QLatin1String("callFrames"))
                                      .toArray()
                                      .at(0)
                                      .toObject();
        QString source = QStringLiteral("console");
        if (!frame.isEmpty())
            source += QStringLiteral(" %1:%2")
                          .arg(str(frame, "url"))
                          .arg(frame.value(QLatin1String("lineNumber")).toInt() + 1);
        pushConsole(
            {{QStringLiteral("level"), consoleLevel(str(p, "type"))},
             {QStringLiteral("time"), timeFromEpochSeconds(p.value(QLatin1String("timestamp")).toDouble() / 1000)},
             {QStringLiteral("source"), source},
             {QStringLiteral("text"), parts.join(u' ').left(4000)}});
    } else if (method == QLatin1String("Runtime.exceptionThrown")) {
        const QJsonObject d = p.value(QLatin1String("exceptionDetails")).toObject();
        const QString description =
            d.value(QLatin1String("exception")).toObject().value(QLatin1String("description")).toString();
        pushConsole(
            {{QStringLiteral("level"), QStringLiteral("error")},
             {QStringLiteral("time"), timeFromEpochSeconds(p.value(QLatin1String("timestamp")).toDouble() / 1000)},
             {QStringLiteral("source"), QStringLiteral("exception %1:%2")
                                            .arg(str(d, "url"))
                                            .arg(d.value(QLatin1String("lineNumber")).toInt() + 1)},
             {QStringLiteral("text"), (description.isEmpty() ? str(d, "text") : description).left(4000)}});
    } else if (method == QLatin1String("Log.entryAdded")) {
        const QJsonObject e = p.value(QLatin1String("entry")).toObject();
        QString source = str(e, "source");
        if (!str(e, "url").isEmpty())
            source += u' ' + str(e, "url");
        pushConsole(
            {{QStringLiteral("level"), consoleLevel(str(e, "level"))},
             {QStringLiteral("time"), timeFromEpochSeconds(e.value(QLatin1String("timestamp")).toDouble() / 1000)},
             {QStringLiteral("source"), source},
             {QStringLiteral("text"), str(e, "text").left(4000)}});
    } else if (method == QLatin1String("Network.requestWillBeSent")) {
        const QString id = str(p, "requestId");
        const QJsonObject req = p.value(QLatin1String("request")).toObject();
        QJsonObject o{{QStringLiteral("id"), id},
                      {QStringLiteral("method"), str(req, "method")},
                      {QStringLiteral("url"), str(req, "url").left(2000)},
                      {QStringLiteral("type"), str(p, "type")},
                      {QStringLiteral("requestBytes"), str(req, "postData").size()}};
        if (request(id)) { // a redirect: the same id goes on with a new URL
            update(id, [&](QJsonObject &r) {
                r.insert(QStringLiteral("redirectedTo"), o.value(QLatin1String("url")));
                r.insert(QStringLiteral("url"), o.value(QLatin1String("url")));
            });
        } else {
            st.index[id] = st.requests.size();
            st.requests.append(o);
            if (st.requests.size() > kMaxRequests) {
                st.index.erase(st.requests.first().toObject().value(QLatin1String("id")).toString());
                st.requests.removeFirst();
                for (auto &[k, v] : st.index)
                    --v;
                ++st.requestsDropped;
                st.requestsRead = std::max<qsizetype>(0, st.requestsRead - 1);
            }
        }
        st.inflight.insert(id);
        networkChanged();
    } else if (method == QLatin1String("Network.responseReceived")) {
        const QJsonObject resp = p.value(QLatin1String("response")).toObject();
        update(str(p, "requestId"), [&](QJsonObject &r) {
            r.insert(QStringLiteral("status"), resp.value(QLatin1String("status")).toInt());
            r.insert(QStringLiteral("statusText"), str(resp, "statusText"));
            r.insert(QStringLiteral("mimeType"), str(resp, "mimeType"));
        });
    } else if (method == QLatin1String("Network.loadingFinished")) {
        update(str(p, "requestId"), [&](QJsonObject &r) {
            r.insert(QStringLiteral("encodedBytes"), qint64(p.value(QLatin1String("encodedDataLength")).toDouble()));
            r.insert(QStringLiteral("finished"), true);
        });
        st.inflight.erase(str(p, "requestId"));
        networkChanged();
    } else if (method == QLatin1String("Network.loadingFailed")) {
        update(str(p, "requestId"), [&](QJsonObject &r) {
            r.insert(QStringLiteral("failed"), str(p, "errorText"));
            if (p.value(QLatin1String("canceled")).toBool())
                r.insert(QStringLiteral("canceled"), true);
            if (p.contains(QLatin1String("blockedReason")))
                r.insert(QStringLiteral("blockedReason"), str(p, "blockedReason"));
        });
        st.inflight.erase(str(p, "requestId"));
        networkChanged();
    } else if (method == QLatin1String("Browser.downloadWillBegin")) {
        st.downloads.append(
            QJsonObject{{QStringLiteral("guid"), str(p, "guid")},
                        {QStringLiteral("url"), str(p, "url").left(2000)},
                        {QStringLiteral("file"), QString(QStringLiteral("downloads/") + str(p, "suggestedFilename"))},
                        {QStringLiteral("state"), QStringLiteral("inProgress")}});
    } else if (method == QLatin1String("Browser.downloadProgress")) {
        for (qsizetype i = 0; i < st.downloads.size(); ++i) {
            QJsonObject d = st.downloads.at(i).toObject();
            if (d.value(QLatin1String("guid")).toString() != str(p, "guid"))
                continue;
            d.insert(QStringLiteral("state"), str(p, "state"));
            d.insert(QStringLiteral("bytes"), qint64(p.value(QLatin1String("receivedBytes")).toDouble()));
            st.downloads.replace(i, d);
        }
    } else if (method == QLatin1String("Target.detachedFromTarget") ||
               method == QLatin1String("Inspector.targetCrashed")) {
        st.mainFrameLoading = false;
    } else {
        return;
    }
    st.changed.notify_all();
}

Result<QJsonObject> BrowserSandbox::cdp(const QString &method, const QJsonObject &params, int timeoutMs)
{
    if (!m_cdp)
        return Error::make(Error::Code::Internal, QStringLiteral("browser: not started"));
    return m_cdp->send(method, params, m_session, timeoutMs > 0 ? timeoutMs : m_options.commandTimeoutMs, &m_cancelled);
}

Result<QJsonValue> BrowserSandbox::evaluate(const QString &expression, int timeoutMs)
{
    const auto r = cdp(QStringLiteral("Runtime.evaluate"),
                       {{QStringLiteral("expression"), expression},
                        {QStringLiteral("returnByValue"), true},
                        {QStringLiteral("awaitPromise"), true}},
                       timeoutMs);
    if (!r)
        return r.error();
    const QJsonObject details = r->value(QLatin1String("exceptionDetails")).toObject();
    if (!details.isEmpty()) {
        const QString d =
            details.value(QLatin1String("exception")).toObject().value(QLatin1String("description")).toString();
        return bad(QStringLiteral("browser: the page threw: %1")
                       .arg(d.isEmpty() ? details.value(QLatin1String("text")).toString() : d.section(u'\n', 0, 0)));
    }
    return r->value(QLatin1String("result")).toObject().value(QLatin1String("value"));
}

Status BrowserSandbox::waitForLoad(qint64 loadsBefore, bool networkIdle, int timeoutMs)
{
    using namespace std::chrono;
    const auto deadline = steady_clock::now() + milliseconds(timeoutMs);
    constexpr auto kQuiet = milliseconds(500); // "network idle": nothing started or ended for this long
    BrowserPageState &st = *m_state;
    std::unique_lock lock(st.mutex);
    for (;;) {
        if (m_cancelled)
            return Error::make(Error::Code::Conflict, QStringLiteral("browser: cancelled"));
        if (!m_cdp || !m_cdp->alive())
            return Error::make(Error::Code::Io, QStringLiteral("browser: Chromium went away while loading"));
        const bool loaded = st.loads > loadsBefore;
        auto wakeAt = deadline;
        if (loaded && !networkIdle)
            return {};
        if (loaded && st.inflight.empty()) {
            const auto quietSince = st.lastNetworkChange + kQuiet;
            if (steady_clock::now() >= quietSince)
                return {};
            wakeAt = std::min(deadline, quietSince);
        }
        if (steady_clock::now() >= deadline)
            return Error::make(Error::Code::Busy,
                               QStringLiteral("browser: the page did not finish loading within %1 ms%2")
                                   .arg(timeoutMs)
                                   .arg(loaded ? QStringLiteral(" (requests still in flight)") : QString()));
        st.changed.wait_until(lock, std::min(wakeAt, steady_clock::now() + milliseconds(250)));
    }
}

// Before reading the page: a navigation in progress ends first (bounded).
void BrowserSandbox::settle(int timeoutMs)
{
    using namespace std::chrono;
    const auto deadline = steady_clock::now() + milliseconds(timeoutMs);
    BrowserPageState &st = *m_state;
    std::unique_lock lock(st.mutex);
    while (st.mainFrameLoading && !m_cancelled && steady_clock::now() < deadline)
        st.changed.wait_until(lock, std::min(deadline, steady_clock::now() + milliseconds(250)));
}

// After an action that may navigate (a click, Enter in a form): a form submission
// or a link is scheduled by the page and reaches the browser a little later, so
// wait for the page to run its pending tasks (a timer round trip), then a short
// grace for a navigation to be requested, then for it to finish.
void BrowserSandbox::settleAfterAction(int timeoutMs)
{
    qint64 before;
    {
        std::lock_guard lock(m_state->mutex);
        before = m_state->navigations;
    }
    (void)evaluate(QStringLiteral("new Promise(r => setTimeout(r, 0))"), 5000);
    {
        using namespace std::chrono;
        const auto grace = steady_clock::now() + milliseconds(150);
        std::unique_lock lock(m_state->mutex);
        while (m_state->navigations == before && !m_state->mainFrameLoading && !m_cancelled &&
               steady_clock::now() < grace)
            m_state->changed.wait_until(lock, grace);
    }
    settle(timeoutMs);
}

Result<SandboxOutcome> BrowserSandbox::run(const SandboxCall &call, const LogSink &log)
{
    std::lock_guard runLock(m_runMutex);
    QElapsedTimer timer;
    timer.start();
    {
        std::lock_guard lock(m_callMutex);
        m_currentCall = call.callId;
    }
    m_cancelled = false;
    struct Clear {
        BrowserSandbox *self;
        ~Clear()
        {
            std::lock_guard lock(self->m_callMutex);
            self->m_currentCall.clear();
        }
    } clear{this};

    SandboxOutcome out;
    auto finish = [&](Result<QJsonObject> r) -> Result<SandboxOutcome> {
        out.durationMs = timer.elapsed();
        if (r) {
            QJsonObject result = *r;
            std::lock_guard lock(m_state->mutex);
            if (!m_state->dialogs.isEmpty())
                result.insert(QStringLiteral("dialogs"), m_state->dialogs);
            QJsonArray downloads;
            for (const QJsonValue &d : std::as_const(m_state->downloads))
                downloads.append(d);
            if (!downloads.isEmpty())
                result.insert(QStringLiteral("downloads"), downloads);
            m_state->downloads = {};
            out.ok = true;
            out.result = result;
        } else {
            out.ok = false;
            out.error = r.error().message;
            out.images.clear();
        }
        return out;
    };

    const QJsonObject &in = call.input;
    const QString dialog = in.value(QLatin1String("dialog")).toString(QStringLiteral("dismiss"));
    if (dialog != QLatin1String("accept") && dialog != QLatin1String("dismiss"))
        return finish(bad(QStringLiteral("dialog must be \"accept\" or \"dismiss\"")));
    {
        std::lock_guard lock(m_state->mutex);
        m_state->acceptDialogs = dialog == QLatin1String("accept");
        m_state->promptText = in.value(QLatin1String("promptText")).toString();
        m_state->dialogs = {};
    }
    if (const Status s = ensureBrowser(log, call.callId); !s)
        return finish(s.error());
    if (m_proxy)
        m_proxy->setCallId(call.callId);

    const QString &tool = call.tool;
    const int callTimeout = call.timeoutMs > 0 ? call.timeoutMs : 30000;
    Result<QJsonObject> r = bad(QStringLiteral("browser: no tool named \"%1\"").arg(tool));
    if (tool == QLatin1String("browser_navigate"))
        r = navigate(in, std::min(intArg(in, "timeoutMs", 30000), callTimeout));
    else if (tool == QLatin1String("browser_screenshot"))
        r = screenshot(in, call.callId, out.images);
    else if (tool == QLatin1String("browser_click"))
        r = click(in);
    else if (tool == QLatin1String("browser_type"))
        r = type(in);
    else if (tool == QLatin1String("browser_text"))
        r = text(in);
    else if (tool == QLatin1String("browser_console"))
        r = console(in);
    else if (tool == QLatin1String("browser_network"))
        r = network(in);
    else if (tool == QLatin1String("browser_set_viewport"))
        r = setViewport(in);
    else if (tool == QLatin1String("browser_upload"))
        r = upload(in);
    if (m_proxy)
        m_proxy->setCallId(QString());
    if (m_cancelled && m_cdp) // a cancelled navigation must not go on loading behind the next call
        m_cdp->sendAsync(QStringLiteral("Page.stopLoading"), {}, m_session);
    if (!r && m_cdp && m_cdp->timedOut() && log)
        log(SandboxLogLine{
            call.callId, QStringLiteral("stderr"),
            QStringLiteral("browser: Chromium did not answer in time; it will be restarted on the next call")});
    return finish(std::move(r));
}

Result<QJsonObject> BrowserSandbox::navigate(const QJsonObject &in, int timeoutMs)
{
    const QString url = in.value(QLatin1String("url")).toString();
    if (url.isEmpty())
        return bad(QStringLiteral("browser_navigate: url is required"));
    const QString waitUntil = in.value(QLatin1String("waitUntil")).toString(QStringLiteral("load"));
    if (waitUntil != QLatin1String("load") && waitUntil != QLatin1String("networkidle"))
        return bad(QStringLiteral("browser_navigate: waitUntil must be load or networkidle"));
    qint64 loadsBefore;
    qsizetype firstRequest;
    {
        std::lock_guard lock(m_state->mutex);
        loadsBefore = m_state->loads;
        firstRequest = m_state->requests.size();
    }
    QElapsedTimer timer;
    timer.start();
    const auto nav = cdp(QStringLiteral("Page.navigate"), {{QStringLiteral("url"), url}}, timeoutMs);
    if (!nav)
        return nav.error();
    const QString errorText = nav->value(QLatin1String("errorText")).toString();
    if (!errorText.isEmpty()) {
        // Without tunnels the proxy refuses CONNECT: say why, rather than Chromium's tunnel error alone.
        const QString why =
            !m_options.tunnels && url.startsWith(QLatin1String("https:"), Qt::CaseInsensitive)
                ? QStringLiteral(" (HTTPS does not pass the session's egress gate from the browser yet; "
                                 "only http:// pages load)")
                : QString();
        return Error::make(Error::Code::Io,
                           QStringLiteral("browser_navigate: %1 failed: %2%3").arg(url, errorText, why));
    }
    if (nav->contains(QLatin1String("loaderId"))) {
        if (const Status s = waitForLoad(loadsBefore, waitUntil == QLatin1String("networkidle"), timeoutMs); !s)
            return s.error();
    }
    QJsonObject result{{QStringLiteral("loadedMs"), timer.elapsed()}};
    const auto page = evaluate(QStringLiteral("({url: location.href, title: document.title})"));
    if (page) {
        result.insert(QStringLiteral("url"), page->toObject().value(QLatin1String("url")));
        result.insert(QStringLiteral("title"), page->toObject().value(QLatin1String("title")));
    }
    std::lock_guard lock(m_state->mutex);
    int failed = 0;
    for (qsizetype i = std::max<qsizetype>(0, firstRequest - m_state->requestsDropped); i < m_state->requests.size();
         ++i) {
        const QJsonObject r = m_state->requests.at(i).toObject();
        if (r.value(QLatin1String("type")).toString() == QLatin1String("Document") &&
            !result.contains(QLatin1String("status")))
            result.insert(QStringLiteral("status"), r.value(QLatin1String("status")));
        if (r.contains(QLatin1String("failed")) || r.value(QLatin1String("status")).toInt() >= 400)
            ++failed;
    }
    result.insert(QStringLiteral("failedRequests"), failed);
    return result;
}

Result<QJsonObject> BrowserSandbox::screenshot(const QJsonObject &in, const QString &callId,
                                               QList<SandboxImage> &images)
{
    settle(5000);
    const QString mode = in.value(QLatin1String("mode")).toString(QStringLiteral("viewport"));
    const QString format = in.value(QLatin1String("format")).toString(QStringLiteral("png"));
    if (format != QLatin1String("png") && format != QLatin1String("jpeg"))
        return bad(QStringLiteral("browser_screenshot: format must be png or jpeg"));
    const int maxSide = std::max(16, intArg(in, "maxLongSide", m_options.maxScreenshotSide));
    if (m_options.workspaceDir.isEmpty())
        return bad(QStringLiteral("browser_screenshot: no workspace folder to save into"));

    double x = 0, y = 0, w = 0, h = 0;
    bool beyondViewport = false;
    const double dpr = m_viewport.deviceScaleFactor;
    // optimizeForSpeed: Chromium's faster PNG encoder settings (larger files, same pixels).
    QJsonObject params{{QStringLiteral("format"), format}, {QStringLiteral("optimizeForSpeed"), true}};
    if (format == QLatin1String("jpeg"))
        params.insert(QStringLiteral("quality"), std::clamp(intArg(in, "quality", 80), 1, 100));
    // The plain viewport capture, when it is within the cap, needs no clip and no
    // layout metrics: the browser's fastest path.
    const bool plain =
        mode == QLatin1String("viewport") && std::max(m_viewport.width, m_viewport.height) * dpr <= maxSide;
    const auto metrics = plain ? Result<QJsonObject>(QJsonObject{}) : cdp(QStringLiteral("Page.getLayoutMetrics"));
    if (!metrics)
        return metrics.error();
    const QJsonObject visual = metrics->value(QLatin1String("cssVisualViewport")).toObject();
    if (mode == QLatin1String("viewport")) {
        x = visual.value(QLatin1String("pageX")).toDouble();
        y = visual.value(QLatin1String("pageY")).toDouble();
        w = visual.value(QLatin1String("clientWidth")).toDouble();
        h = visual.value(QLatin1String("clientHeight")).toDouble();
    } else if (mode == QLatin1String("fullPage")) {
        const QJsonObject content = metrics->value(QLatin1String("cssContentSize")).toObject();
        w = content.value(QLatin1String("width")).toDouble();
        h = std::min(content.value(QLatin1String("height")).toDouble(), 16384.0);
        beyondViewport = true;
    } else if (mode == QLatin1String("selector")) {
        const QString selector = in.value(QLatin1String("selector")).toString();
        if (selector.isEmpty())
            return bad(QStringLiteral("browser_screenshot: mode selector needs a selector"));
        const auto found = evaluate(QString::fromUtf8(kFindElement).arg(jsString(selector), QStringLiteral("null")));
        if (!found)
            return found.error();
        const QJsonObject f = found->toObject();
        if (!f.value(QLatin1String("found")).toBool())
            return bad(QStringLiteral("browser_screenshot: no element matches %1").arg(selector));
        x = f.value(QLatin1String("pageX")).toDouble();
        y = f.value(QLatin1String("pageY")).toDouble();
        w = f.value(QLatin1String("width")).toDouble();
        h = f.value(QLatin1String("height")).toDouble();
        beyondViewport = true;
    } else {
        return bad(QStringLiteral("browser_screenshot: mode must be viewport, fullPage or selector"));
    }
    if (plain) {
        w = m_viewport.width;
        h = m_viewport.height;
    }
    if (w < 1 || h < 1)
        return bad(QStringLiteral("browser_screenshot: nothing to capture (%1 x %2)").arg(w).arg(h));
    const double scale = std::min(1.0, double(maxSide) / (std::max(w, h) * dpr));
    if (!plain) {
        params.insert(QStringLiteral("clip"), QJsonObject{{QStringLiteral("x"), x},
                                                          {QStringLiteral("y"), y},
                                                          {QStringLiteral("width"), w},
                                                          {QStringLiteral("height"), h},
                                                          {QStringLiteral("scale"), scale}});
        params.insert(QStringLiteral("captureBeyondViewport"), beyondViewport);
    }
    const auto shot = cdp(QStringLiteral("Page.captureScreenshot"), params, 30000);
    if (!shot)
        return shot.error();
    const QByteArray bytes = QByteArray::fromBase64(shot->value(QLatin1String("data")).toString().toLatin1());
    const auto size = imageSize(bytes);
    if (!size)
        return Error::make(Error::Code::Internal, QStringLiteral("browser_screenshot: Chromium returned no image"));
    QString safeCall = callId;
    safeCall.replace(QRegularExpression(QStringLiteral("[^A-Za-z0-9_-]")), QStringLiteral("_"));
    const QString relative = QStringLiteral("screenshots/shot-%1%2.%3")
                                 .arg(++m_shots, 3, 10, QLatin1Char('0'))
                                 .arg(safeCall.isEmpty() ? QString() : u'-' + safeCall.left(64))
                                 .arg(format == QLatin1String("jpeg") ? QStringLiteral("jpg") : QStringLiteral("png"));
    const QString path = QDir(m_options.workspaceDir).absoluteFilePath(relative);
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size())
        return Error::make(Error::Code::Io, QStringLiteral("browser_screenshot: cannot write %1").arg(path));
    QString url;
    {
        std::lock_guard lock(m_state->mutex);
        url = m_state->url;
    }
    const QJsonObject viewport{{QStringLiteral("width"), m_viewport.width},
                               {QStringLiteral("height"), m_viewport.height},
                               {QStringLiteral("device_scale_factor"), m_viewport.deviceScaleFactor},
                               {QStringLiteral("mobile"), m_viewport.mobile}};
    QJsonObject details{{QStringLiteral("mode"), mode}, {QStringLiteral("viewport"), viewport}};
    if (!url.isEmpty())
        details.insert(QStringLiteral("url"), url);
    // The bytes go to the model beside the result (for providers that take images).
    images.append(
        SandboxImage{format == QLatin1String("jpeg") ? QStringLiteral("image/jpeg") : QStringLiteral("image/png"),
                     bytes, relative, size->first, size->second, details});
    QJsonObject result{{QStringLiteral("file"), relative},
                       {QStringLiteral("path"), path},
                       {QStringLiteral("format"), format},
                       {QStringLiteral("width"), size->first},
                       {QStringLiteral("height"), size->second},
                       {QStringLiteral("bytes"), bytes.size()},
                       {QStringLiteral("mode"), mode}};
    if (!url.isEmpty())
        result.insert(QStringLiteral("url"), url);
    return result;
}

Result<QJsonObject> BrowserSandbox::click(const QJsonObject &in)
{
    settle(5000);
    const QString selector = in.value(QLatin1String("selector")).toString();
    const QString textArg = in.value(QLatin1String("text")).toString();
    double x, y;
    QJsonObject result;
    if (!selector.isEmpty() || !textArg.isEmpty()) {
        const auto found = evaluate(QString::fromUtf8(kFindElement)
                                        .arg(selector.isEmpty() ? QStringLiteral("null") : jsString(selector),
                                             textArg.isEmpty() ? QStringLiteral("null") : jsString(textArg)));
        if (!found)
            return found.error();
        const QJsonObject f = found->toObject();
        if (!f.value(QLatin1String("found")).toBool())
            return bad(QStringLiteral("browser_click: nothing matches %1")
                           .arg(selector.isEmpty() ? QStringLiteral("text \"%1\"").arg(textArg) : selector));
        x = f.value(QLatin1String("x")).toDouble();
        y = f.value(QLatin1String("y")).toDouble();
        result.insert(QStringLiteral("element"), f.value(QLatin1String("element")));
        result.insert(QStringLiteral("hit"), f.value(QLatin1String("hit")));
        if (f.value(QLatin1String("covered")).toBool())
            result.insert(QStringLiteral("covered"), true); // another element is on top: it got the click
    } else if (in.value(QLatin1String("x")).isDouble() && in.value(QLatin1String("y")).isDouble()) {
        x = in.value(QLatin1String("x")).toDouble();
        y = in.value(QLatin1String("y")).toDouble();
        const auto hit =
            evaluate(QStringLiteral("(() => { const e = document.elementFromPoint(%1, %2); if (!e) return null; "
                                    "let d = e.tagName.toLowerCase(); if (e.id) d += '#' + e.id; "
                                    "const t = (e.innerText || e.value || '').trim().replace(/\\s+/g, ' '); "
                                    "return t ? d + ' \\\"' + t.slice(0, 80) + '\\\"' : d; })()")
                         .arg(x)
                         .arg(y));
        if (hit)
            result.insert(QStringLiteral("hit"), *hit);
    } else {
        return bad(QStringLiteral("browser_click: give a selector, a text or x and y"));
    }
    const QString button = in.value(QLatin1String("button")).toString(QStringLiteral("left"));
    const int clicks = std::clamp(intArg(in, "clickCount", 1), 1, 3);
    QJsonObject mouse{{QStringLiteral("x"), x}, {QStringLiteral("y"), y}};
    mouse.insert(QStringLiteral("type"), QStringLiteral("mouseMoved"));
    if (const auto r = cdp(QStringLiteral("Input.dispatchMouseEvent"), mouse); !r)
        return r.error();
    mouse.insert(QStringLiteral("button"), button);
    for (int i = 1; i <= clicks; ++i) {
        mouse.insert(QStringLiteral("clickCount"), i);
        for (const char *type : {"mousePressed", "mouseReleased"}) {
            mouse.insert(QStringLiteral("type"), QString::fromLatin1(type));
            if (const auto r = cdp(QStringLiteral("Input.dispatchMouseEvent"), mouse); !r)
                return r.error();
        }
    }
    settleAfterAction(10000);
    result.insert(QStringLiteral("x"), x);
    result.insert(QStringLiteral("y"), y);
    if (const auto url = evaluate(QStringLiteral("location.href")); url)
        result.insert(QStringLiteral("url"), *url);
    return result;
}

Result<QJsonObject> BrowserSandbox::type(const QJsonObject &in)
{
    settle(5000);
    const QString selector = in.value(QLatin1String("selector")).toString();
    const QString textArg = in.value(QLatin1String("text")).toString();
    const QString key = in.value(QLatin1String("key")).toString();
    QJsonObject result;
    if (!selector.isEmpty()) {
        const QString focus =
            QStringLiteral(R"JS((() => {
  const el = document.querySelector(%1);
  if (!el) return null;
  el.scrollIntoView({block: 'center'});
  el.focus();
  if (%2 && 'value' in el) { el.value = ''; el.dispatchEvent(new Event('input', {bubbles: true})); }
  return el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.name ? '[name=' + el.name + ']' : '');
})())JS")
                .arg(jsString(selector),
                     in.value(QLatin1String("clear")).toBool() ? QStringLiteral("true") : QStringLiteral("false"));
        const auto focused = evaluate(focus);
        if (!focused)
            return focused.error();
        if (focused->isNull())
            return bad(QStringLiteral("browser_type: no element matches %1").arg(selector));
        result.insert(QStringLiteral("element"), *focused);
    }
    if (!textArg.isEmpty()) {
        if (const auto r = cdp(QStringLiteral("Input.insertText"), {{QStringLiteral("text"), textArg}}); !r)
            return r.error();
        result.insert(QStringLiteral("typed"), textArg.size());
    }
    if (!key.isEmpty()) {
        const auto k = keyInfo(key);
        if (!k)
            return bad(QStringLiteral("browser_type: unknown key %1 (Enter, Tab, Escape, Backspace, Delete, arrows, "
                                      "Home, End, PageUp, PageDown, Space)")
                           .arg(key));
        QJsonObject ev{{QStringLiteral("key"), QString::fromLatin1(k->key == std::string_view("Space") ? " " : k->key)},
                       {QStringLiteral("code"), QString::fromLatin1(k->code)},
                       {QStringLiteral("windowsVirtualKeyCode"), k->keyCode},
                       {QStringLiteral("nativeVirtualKeyCode"), k->keyCode}};
        ev.insert(QStringLiteral("type"), *k->text ? QStringLiteral("keyDown") : QStringLiteral("rawKeyDown"));
        if (*k->text) {
            ev.insert(QStringLiteral("text"), QString::fromLatin1(k->text));
            ev.insert(QStringLiteral("unmodifiedText"), QString::fromLatin1(k->text));
        }
        if (const auto r = cdp(QStringLiteral("Input.dispatchKeyEvent"), ev); !r)
            return r.error();
        ev.remove(QStringLiteral("text"));
        ev.remove(QStringLiteral("unmodifiedText"));
        ev.insert(QStringLiteral("type"), QStringLiteral("keyUp"));
        if (const auto r = cdp(QStringLiteral("Input.dispatchKeyEvent"), ev); !r)
            return r.error();
        result.insert(QStringLiteral("key"), QString::fromLatin1(k->key));
    }
    if (selector.isEmpty() && textArg.isEmpty() && key.isEmpty())
        return bad(QStringLiteral("browser_type: give text, a key, or both"));
    if (!key.isEmpty())
        settleAfterAction(10000);
    if (const auto url = evaluate(QStringLiteral("location.href")); url)
        result.insert(QStringLiteral("url"), *url);
    return result;
}

Result<QJsonObject> BrowserSandbox::text(const QJsonObject &in)
{
    settle(10000);
    const int maxChars = std::clamp(intArg(in, "maxChars", 20000), 100, 200000);
    const QString mode = in.value(QLatin1String("mode")).toString(QStringLiteral("text"));
    QString out;
    if (mode == QLatin1String("text")) {
        const auto t = evaluate(QStringLiteral("document.body ? document.body.innerText : ''"));
        if (!t)
            return t.error();
        out = t->toString();
    } else if (mode == QLatin1String("accessibility")) {
        const auto tree = cdp(QStringLiteral("Accessibility.getFullAXTree"), {}, 30000);
        if (!tree)
            return tree.error();
        std::map<QString, int> depth;
        QStringList lines;
        for (const QJsonValue &v : tree->value(QLatin1String("nodes")).toArray()) {
            const QJsonObject n = v.toObject();
            const QString id = n.value(QLatin1String("nodeId")).toString();
            const QString parent = n.value(QLatin1String("parentId")).toString();
            const int d = parent.isEmpty() || !depth.count(parent) ? 0 : depth[parent];
            const bool ignored = n.value(QLatin1String("ignored")).toBool();
            const QString role = n.value(QLatin1String("role")).toObject().value(QLatin1String("value")).toString();
            const QString name =
                n.value(QLatin1String("name")).toObject().value(QLatin1String("value")).toString().simplified();
            const bool shown = !ignored && role != QLatin1String("none") && role != QLatin1String("generic") &&
                               !(role == QLatin1String("StaticText") && name.isEmpty());
            depth[id] = d + (shown ? 1 : 0);
            if (shown && role != QLatin1String("InlineTextBox"))
                lines << QString(d * 2, u' ') + role +
                             (name.isEmpty() ? QString() : QStringLiteral(" \"%1\"").arg(name.left(200)));
        }
        out = lines.join(u'\n');
    } else {
        return bad(QStringLiteral("browser_text: mode must be text or accessibility"));
    }
    QJsonObject result{{QStringLiteral("mode"), mode}, {QStringLiteral("length"), out.size()}};
    if (out.size() > maxChars) {
        out.truncate(maxChars);
        result.insert(QStringLiteral("truncated"), true);
    }
    result.insert(QStringLiteral("text"), out);
    if (const auto page = evaluate(QStringLiteral("({url: location.href, title: document.title})")); page) {
        result.insert(QStringLiteral("url"), page->toObject().value(QLatin1String("url")));
        result.insert(QStringLiteral("title"), page->toObject().value(QLatin1String("title")));
    }
    return result;
}

Result<QJsonObject> BrowserSandbox::console(const QJsonObject &in)
{
    const bool all = in.value(QLatin1String("all")).toBool();
    const QString level = in.value(QLatin1String("level")).toString();
    std::lock_guard lock(m_state->mutex);
    QJsonArray messages;
    for (qsizetype i = all ? 0 : m_state->consoleRead; i < m_state->console.size(); ++i) {
        const QJsonObject m = m_state->console.at(i).toObject();
        if (level.isEmpty() || m.value(QLatin1String("level")).toString() == level)
            messages.append(m);
    }
    m_state->consoleRead = m_state->console.size();
    QJsonObject result{{QStringLiteral("messages"), messages}};
    if (m_state->consoleDropped)
        result.insert(QStringLiteral("dropped"), m_state->consoleDropped);
    return result;
}

Result<QJsonObject> BrowserSandbox::network(const QJsonObject &in)
{
    const QString id = in.value(QLatin1String("id")).toString();
    if (!id.isEmpty()) {
        const auto body = cdp(QStringLiteral("Network.getResponseBody"), {{QStringLiteral("requestId"), id}});
        if (!body)
            return body.error();
        const int maxChars = std::clamp(intArg(in, "maxChars", 100000), 100, 1000000);
        QString text = body->value(QLatin1String("body")).toString();
        QJsonObject result{{QStringLiteral("id"), id},
                           {QStringLiteral("base64"), body->value(QLatin1String("base64Encoded")).toBool()},
                           {QStringLiteral("length"), text.size()}};
        if (text.size() > maxChars) {
            text.truncate(maxChars);
            result.insert(QStringLiteral("truncated"), true);
        }
        result.insert(QStringLiteral("body"), text);
        return result;
    }
    const bool all = in.value(QLatin1String("all")).toBool();
    const bool failedOnly = in.value(QLatin1String("failedOnly")).toBool();
    const int limit = std::clamp(intArg(in, "limit", 200), 1, int(kMaxRequests));
    std::lock_guard lock(m_state->mutex);
    QJsonArray requests;
    for (qsizetype i = all ? 0 : m_state->requestsRead; i < m_state->requests.size(); ++i) {
        const QJsonObject r = m_state->requests.at(i).toObject();
        const bool failed = r.contains(QLatin1String("failed")) || r.value(QLatin1String("status")).toInt() >= 400;
        if (!failedOnly || failed)
            requests.append(r);
    }
    m_state->requestsRead = m_state->requests.size();
    QJsonObject result;
    if (requests.size() > limit) {
        result.insert(QStringLiteral("omitted"), requests.size() - limit);
        while (requests.size() > limit)
            requests.removeFirst();
    }
    result.insert(QStringLiteral("requests"), requests);
    return result;
}

Result<QJsonObject> BrowserSandbox::setViewport(const QJsonObject &in)
{
    Viewport v = m_viewport;
    v.width = std::clamp(intArg(in, "width", v.width), 100, 8000);
    v.height = std::clamp(intArg(in, "height", v.height), 100, 8000);
    if (in.value(QLatin1String("deviceScaleFactor")).isDouble())
        v.deviceScaleFactor = std::clamp(in.value(QLatin1String("deviceScaleFactor")).toDouble(), 0.5, 4.0);
    if (in.value(QLatin1String("mobile")).isBool())
        v.mobile = in.value(QLatin1String("mobile")).toBool();
    const auto r = cdp(QStringLiteral("Emulation.setDeviceMetricsOverride"),
                       {{QStringLiteral("width"), v.width},
                        {QStringLiteral("height"), v.height},
                        {QStringLiteral("deviceScaleFactor"), v.deviceScaleFactor},
                        {QStringLiteral("mobile"), v.mobile}});
    if (!r)
        return r.error();
    m_viewport = v;
    return QJsonObject{{QStringLiteral("width"), v.width},
                       {QStringLiteral("height"), v.height},
                       {QStringLiteral("deviceScaleFactor"), v.deviceScaleFactor},
                       {QStringLiteral("mobile"), v.mobile}};
}

Result<QJsonObject> BrowserSandbox::upload(const QJsonObject &in)
{
    const QString selector = in.value(QLatin1String("selector")).toString();
    QStringList paths;
    if (in.value(QLatin1String("path")).isString())
        paths << in.value(QLatin1String("path")).toString();
    for (const QJsonValue &p : in.value(QLatin1String("paths")).toArray())
        paths << p.toString();
    if (selector.isEmpty() || paths.isEmpty())
        return bad(QStringLiteral("browser_upload: give a selector and a path"));
    const QString root = QFileInfo(m_options.workspaceDir).canonicalFilePath();
    if (root.isEmpty())
        return bad(QStringLiteral("browser_upload: no workspace folder"));
    QJsonArray files;
    for (const QString &p : paths) {
        // The real file, links followed, must be inside the workspace.
        const QString real = QFileInfo(QDir(root).absoluteFilePath(p)).canonicalFilePath();
        if (real.isEmpty())
            return bad(QStringLiteral("browser_upload: %1 does not exist in the workspace").arg(p));
        if (!real.startsWith(root + u'/'))
            return bad(QStringLiteral("browser_upload: %1 is outside the workspace").arg(p));
        if (!QFileInfo(real).isFile())
            return bad(QStringLiteral("browser_upload: %1 is not a regular file").arg(p));
        files.append(real);
    }
    const auto el =
        cdp(QStringLiteral("Runtime.evaluate"),
            {{QStringLiteral("expression"), QStringLiteral("document.querySelector(%1)").arg(jsString(selector))}});
    if (!el)
        return el.error();
    const QString objectId = el->value(QLatin1String("result")).toObject().value(QLatin1String("objectId")).toString();
    if (objectId.isEmpty())
        return bad(QStringLiteral("browser_upload: no element matches %1").arg(selector));
    if (const auto r = cdp(QStringLiteral("DOM.setFileInputFiles"),
                           {{QStringLiteral("files"), files}, {QStringLiteral("objectId"), objectId}});
        !r)
        return r.error();
    const auto count =
        evaluate(QStringLiteral("(document.querySelector(%1).files || []).length").arg(jsString(selector)));
    return QJsonObject{{QStringLiteral("selector"), selector},
                       {QStringLiteral("files"), QJsonArray::fromStringList(paths)},
                       {QStringLiteral("selected"), count ? count->toInt() : 0}};
}

} // namespace airlock
