// A screenshot end to end: a call whose sandbox saves a real PNG into the workspace
// and hands its bytes back; the session records a browser.screenshot event (the
// path, never the bytes) in the real SQLite store, and the next request carries the
// image exactly as each provider takes it, through the fake model server: an
// Anthropic tool_result with an image block, an OpenAI tool message followed by a
// user message with an image_url part. A text-only model gets a line instead.

#include "core/agent/AgentSession.h"
#include "core/events/EventPayloads.h"
#include "core/providers/RequestImages.h"
#include "core/storage/EventStore.h"
#include "tests/core/providers/FakeModelServer.h"
#include "tests/support/AnthropicScript.h"
#include "tests/support/OpenAiScript.h"

#include <QBuffer>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace airlock;
using airlock::test::AnthropicScript;
using airlock::test::FakeModelServer;
using airlock::test::FakeResponse;
using airlock::test::OpenAiScript;

namespace {

// browser_screenshot as BrowserSandbox answers it: a PNG written under
// screenshots/ in the shared workspace, its bytes and facts handed back.
class ShotSandbox final : public Sandbox {
public:
    ShotSandbox(QString root, QSize size) : m_root(std::move(root)), m_size(size) {}
    QString kind() const override { return QStringLiteral("browser"); }
    bool sharesWorkspace() const override { return true; }
    Status prepare(const LogSink &) override { return {}; }
    Result<SandboxOutcome> run(const SandboxCall &call, const LogSink &) override
    {
        QImage image(m_size, QImage::Format_RGB32);
        image.fill(QColor(20, 120, 220));
        QByteArray png;
        QBuffer buffer(&png);
        buffer.open(QIODevice::WriteOnly);
        image.save(&buffer, "PNG");
        const QString relative = QStringLiteral("screenshots/shot-001-%1.png").arg(call.callId);
        QDir(m_root).mkpath(QStringLiteral("screenshots"));
        QFile f(QDir(m_root).filePath(relative));
        if (!f.open(QIODevice::WriteOnly) || f.write(png) != png.size())
            return SandboxOutcome{false, {}, QStringLiteral("cannot write"), 1};
        SandboxOutcome out{true, QString(QStringLiteral("saved ") + relative), {}, 5};
        const QJsonObject viewport{{QStringLiteral("width"), m_size.width()},
                                   {QStringLiteral("height"), m_size.height()},
                                   {QStringLiteral("device_scale_factor"), 1.0},
                                   {QStringLiteral("mobile"), false}};
        out.images.append(SandboxImage{QStringLiteral("image/png"), png, relative, m_size.width(), m_size.height(),
                                       QJsonObject{{QStringLiteral("mode"), QStringLiteral("viewport")},
                                                   {QStringLiteral("url"), QStringLiteral("http://127.0.0.1/page")},
                                                   {QStringLiteral("viewport"), viewport}}});
        return out;
    }
    void cancel(const QString &) override {}
    void dispose() override {}

private:
    QString m_root;
    QSize m_size;
};

QByteArray readFile(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

QJsonArray messagesOf(const QByteArray &body)
{
    return QJsonDocument::fromJson(body).object().value(QLatin1String("messages")).toArray();
}

} // namespace

class TestScreenshotSession final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init();
    void anthropicGetsTheImageInTheToolResult();
    void openAiGetsTheImageInAUserMessageAfterTheToolMessage();
    void aTextOnlyModelGetsALineInstead();

private:
    AgentOptions options(ProviderKind kind) const;
    std::vector<AgentTool> tools(QSize size = QSize(64, 40)) const;
    std::vector<Event> stored(const QString &sessionId) const;
    // Runs "take a screenshot" with the turns queued on the server; the session's id.
    QString run(ProviderKind kind, ProviderConfig::ImageInput images = ProviderConfig::ImageInput::Accepted);

    QTemporaryDir m_dir;
    QString m_db;
    QString m_workspace;
    std::unique_ptr<FakeModelServer> m_server;
};

void TestScreenshotSession::init()
{
    QVERIFY(m_dir.isValid());
    m_server = std::make_unique<FakeModelServer>();
    const QString name = QString::fromLatin1(QTest::currentTestFunction());
    m_db = m_dir.filePath(name + QStringLiteral("/airlock.db"));
    m_workspace = m_dir.filePath(name + QStringLiteral("/workspace"));
    QVERIFY(QDir().mkpath(m_workspace));
}

AgentOptions TestScreenshotSession::options(ProviderKind kind) const
{
    AgentOptions o;
    o.provider.kind = kind;
    o.provider.baseUrl =
        kind == ProviderKind::OpenAi ? m_server->baseUrl() + QStringLiteral("/v1") : m_server->baseUrl();
    o.provider.model = QStringLiteral("test-model");
    o.provider.apiKey = QStringLiteral("sk-test-key");
    o.provider.maxRetries = 0;
    o.approval = AgentOptions::Approval::AutoApprove;
    o.workspaceDir = m_workspace;
    o.prepareEarly = false;
    o.checkpoints.maxCount = 0;
    return o;
}

std::vector<AgentTool> TestScreenshotSession::tools(QSize size) const
{
    auto sandbox = std::make_shared<ShotSandbox>(m_workspace, size);
    const QJsonObject d{{QStringLiteral("name"), QStringLiteral("browser_screenshot")},
                        {QStringLiteral("description"), QStringLiteral("a screenshot of the page")},
                        {QStringLiteral("annotations"), QJsonObject{{QStringLiteral("readOnlyHint"), true}}}};
    return {AgentTool::fromDescription(d, sandbox, QStringLiteral("builtin:browser"))};
}

std::vector<Event> TestScreenshotSession::stored(const QString &sessionId) const
{
    auto store = EventStore::open(m_db);
    if (!store)
        qFatal("%s", qPrintable(store.error().message));
    auto events = (*store)->events(sessionId);
    if (!events)
        qFatal("%s", qPrintable(events.error().message));
    return std::move(*events);
}

QString TestScreenshotSession::run(ProviderKind kind, ProviderConfig::ImageInput images)
{
    AgentOptions o = options(kind);
    o.provider.imageInput = images;
    auto session = AgentSession::create(m_db, o, tools(), PolicyEngine());
    if (!session)
        qFatal("%s", qPrintable(session.error().message));
    QSignalSpy done(session->get(), &AgentSession::runFinished);
    if (!(*session)->send(QStringLiteral("Take a screenshot")).ok())
        qFatal("send refused");
    if (!done.wait(30000))
        qFatal("the run did not finish");
    if (done.first().at(0).value<AgentSession::Outcome>() != AgentSession::Outcome::EndTurn)
        qFatal("the run failed: %s", qPrintable(done.first().at(1).toString()));
    const QString id = (*session)->sessionId();
    if (!(*session)->flush().ok())
        qFatal("flush failed");
    return id;
}

void TestScreenshotSession::anthropicGetsTheImageInTheToolResult()
{
    m_server->enqueue(
        FakeResponse::sse(AnthropicScript()
                              .toolUse(QStringLiteral("toolu_1"), QStringLiteral("browser_screenshot"), QJsonObject{})
                              .end(QStringLiteral("tool_use"))));
    m_server->enqueue(FakeResponse::sse(AnthropicScript().text(QStringLiteral("A blue page.")).end("end_turn")));
    const QString id = run(ProviderKind::Anthropic);

    const QString relative = QStringLiteral("screenshots/shot-001-toolu_1.png");
    const QByteArray png = readFile(QDir(m_workspace).filePath(relative));
    QVERIFY(!png.isEmpty());
    const auto requests = m_server->requests();
    QCOMPARE(requests.size(), std::size_t(2));
    const QJsonArray messages = messagesOf(requests[1].body);
    QCOMPARE(messages.size(), 3);
    const QJsonObject expected{
        {"role", "user"},
        {"content",
         QJsonArray{QJsonObject{
             {"type", "tool_result"},
             {"tool_use_id", "toolu_1"},
             {"content",
              QJsonArray{QJsonObject{{"type", "text"}, {"text", QString(QStringLiteral("saved ") + relative)}},
                         QJsonObject{{"type", "image"},
                                     {"source", QJsonObject{{"type", "base64"},
                                                            {"media_type", "image/png"},
                                                            {"data", QString::fromLatin1(png.toBase64())}}}}}}}}}};
    QCOMPARE(messages.at(2).toObject(), expected);

    // The store has the screenshot event, by path; no event holds the image's bytes.
    const std::vector<Event> events = stored(id);
    std::optional<payloads::Screenshot> shot;
    int finishedAt = -1, shotAt = -1;
    for (int i = 0; i < int(events.size()); ++i) {
        QVERIFY2(!events[i].payload.contains(png.toBase64().left(64)), qPrintable(events[i].kind));
        if (events[i].knownKind() == EventKind::Screenshot) {
            shot = payloads::Screenshot::from(events[i]);
            shotAt = i;
        } else if (events[i].knownKind() == EventKind::ExecutionFinished) {
            finishedAt = i;
        }
    }
    QVERIFY(shot);
    QVERIFY(shotAt < finishedAt); // the call's facts come before its outcome
    QCOMPARE(shot->callId, QStringLiteral("toolu_1"));
    QCOMPARE(shot->tool, QStringLiteral("browser_screenshot"));
    QCOMPARE(shot->path, relative);
    QCOMPARE(shot->format, QStringLiteral("png"));
    QCOMPARE(shot->width, 64);
    QCOMPARE(shot->height, 40);
    QCOMPARE(shot->bytes, qint64(png.size()));
    QCOMPARE(shot->mode, QStringLiteral("viewport"));
    QCOMPARE(shot->url, QStringLiteral("http://127.0.0.1/page"));
    QVERIFY(shot->viewport);
    QCOMPARE(shot->viewport->width, 64);
    QCOMPARE(shot->sentToModel, QStringLiteral("attached"));
    QVERIFY(shot->timeMs > 0);
}

void TestScreenshotSession::openAiGetsTheImageInAUserMessageAfterTheToolMessage()
{
    m_server->enqueue(FakeResponse::sse(
        OpenAiScript()
            .toolCalls({{QStringLiteral("call_1"), QJsonObject{}}}, QStringLiteral("browser_screenshot"))
            .end(QStringLiteral("tool_calls"))));
    m_server->enqueue(FakeResponse::sse(OpenAiScript().text(QStringLiteral("A blue page.")).end("stop")));
    (void)run(ProviderKind::OpenAi);

    const QString relative = QStringLiteral("screenshots/shot-001-call_1.png");
    const QByteArray png = readFile(QDir(m_workspace).filePath(relative));
    QVERIFY(!png.isEmpty());
    const auto requests = m_server->requests();
    QCOMPARE(requests.size(), std::size_t(2));
    const QJsonArray messages = messagesOf(requests[1].body);
    QCOMPARE(messages.size(), 4); // user, assistant with the call, tool, user with the image
    const QString dataUrl = QStringLiteral("data:image/png;base64,") + QString::fromLatin1(png.toBase64());
    QCOMPARE(messages.at(2).toObject(), (QJsonObject{{"role", "tool"},
                                                     {"tool_call_id", "call_1"},
                                                     {"content", QString(QStringLiteral("saved ") + relative)}}));
    const QJsonObject expected{
        {"role", "user"},
        {"content",
         QJsonArray{
             QJsonObject{{"type", "text"},
                         {"text", QStringLiteral("[Airlock: the images of the tool results above, in order: %1 (call "
                                                 "call_1).]")
                                      .arg(relative)}},
             QJsonObject{{"type", "image_url"}, {"image_url", QJsonObject{{"url", dataUrl}}}}}}};
    QCOMPARE(messages.at(3).toObject(), expected);
}

void TestScreenshotSession::aTextOnlyModelGetsALineInstead()
{
    m_server->enqueue(FakeResponse::sse(
        OpenAiScript()
            .toolCalls({{QStringLiteral("call_1"), QJsonObject{}}}, QStringLiteral("browser_screenshot"))
            .end(QStringLiteral("tool_calls"))));
    m_server->enqueue(FakeResponse::sse(OpenAiScript().text(QStringLiteral("Saved.")).end("stop")));
    const QString id = run(ProviderKind::OpenAi, ProviderConfig::ImageInput::TextOnly);

    const QString relative = QStringLiteral("screenshots/shot-001-call_1.png");
    const auto requests = m_server->requests();
    QCOMPARE(requests.size(), std::size_t(2));
    QVERIFY(!requests[1].body.contains("image_url"));
    const QJsonArray messages = messagesOf(requests[1].body);
    QCOMPARE(messages.size(), 3); // no user message with images
    QCOMPARE(messages.at(2).toObject(),
             (QJsonObject{{"role", "tool"},
                          {"tool_call_id", "call_1"},
                          {"content", QStringLiteral("saved %1\n[Airlock: the image %1 is not attached (this model is "
                                                     "set up as text-only); it is in the workspace.]")
                                          .arg(relative)}}));
    bool said = false;
    for (const Event &e : stored(id))
        if (e.knownKind() == EventKind::Screenshot)
            said = payloads::Screenshot::from(e).sentToModel ==
                   QStringLiteral("not attached: this model is set up as text-only");
    QVERIFY(said);
}

QTEST_GUILESS_MAIN(TestScreenshotSession)
#include "tst_screenshot_session.moc"
