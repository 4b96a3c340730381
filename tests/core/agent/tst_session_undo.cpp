// Undo end to end: a chat through the fake Anthropic server whose calls write,
// delete and add files in a real workspace folder, the real checkpoint store beside
// the real SQLite database; then undo, in the live session and for a stored one
// (the CLI's path), and the model hearing of it with the next prompt.

#include "core/agent/AgentSession.h"
#include "core/agent/ConversationRebuilder.h"
#include "core/agent/SessionUndo.h"
#include "core/events/ChainVerifier.h"
#include "core/sessions/Transcript.h"
#include "core/storage/EventStore.h"
#include "core/storage/SessionStateDir.h"
#include "tests/core/providers/FakeModelServer.h"
#include "tests/support/AnthropicScript.h"
#include "tests/support/OpenAiScript.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
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

// The file tools of a sandbox that shares the workspace (as the microVM's do),
// done on the host folder itself: write_file, delete_file, and the read-only
// read_file. Real files, so what undo puts back is what a call really changed.
class FolderSandbox final : public Sandbox {
public:
    explicit FolderSandbox(QString root) : m_root(std::move(root)) {}
    QString kind() const override { return QStringLiteral("folder"); }
    bool sharesWorkspace() const override { return true; }
    Status prepare(const LogSink &) override { return {}; }
    Result<SandboxOutcome> run(const SandboxCall &call, const LogSink &) override
    {
        const QString path = QDir(m_root).filePath(call.input.value(QLatin1String("path")).toString());
        if (call.tool == QLatin1String("write_file")) {
            QDir().mkpath(QFileInfo(path).absolutePath());
            QFile f(path);
            if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
                return SandboxOutcome{false, {}, QStringLiteral("cannot write"), 1};
            f.write(call.input.value(QLatin1String("content")).toString().toUtf8());
            return SandboxOutcome{true, QStringLiteral("written"), {}, 1};
        }
        if (call.tool == QLatin1String("delete_file"))
            return QFile::remove(path) ? SandboxOutcome{true, QStringLiteral("deleted"), {}, 1}
                                       : SandboxOutcome{false, {}, QStringLiteral("no such file"), 1};
        QFile f(path);
        if (!f.open(QIODevice::ReadOnly))
            return SandboxOutcome{false, {}, QStringLiteral("no such file"), 1};
        return SandboxOutcome{true, QString::fromUtf8(f.readAll()), {}, 1};
    }
    void cancel(const QString &) override {}
    void dispose() override {}

private:
    QString m_root;
};

QJsonObject pathInput(const QString &path, const QString &content = {})
{
    QJsonObject o{{QStringLiteral("path"), path}};
    if (!content.isNull())
        o.insert(QStringLiteral("content"), content);
    return o;
}

void write(const QString &path, const QByteArray &bytes)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    f.write(bytes);
}

QByteArray read(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray("<missing>");
}

// The text of every user message in a request to the model, joined.
QString userTexts(const QByteArray &body)
{
    QString out;
    for (const QJsonValue &m : QJsonDocument::fromJson(body).object().value(QLatin1String("messages")).toArray()) {
        const QJsonObject msg = m.toObject();
        if (msg.value(QLatin1String("role")).toString() != QLatin1String("user"))
            continue;
        const QJsonValue content = msg.value(QLatin1String("content"));
        if (content.isString())
            out += content.toString() + QLatin1Char('\n');
        for (const QJsonValue &block : content.toArray())
            if (block.toObject().value(QLatin1String("type")).toString() == QLatin1String("text"))
                out += block.toObject().value(QLatin1String("text")).toString() + QLatin1Char('\n');
    }
    return out;
}

} // namespace

class TestSessionUndo final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init();
    void undoPutsTheWorkspaceBackAndTheModelHearsOfIt();
    void storedSessionIsUndoneAndTheResumedModelHearsOfIt();
    void undoRefusesWhatItCannotDo();
    void checkpointsArePrunedToTheLimit();
    void deletingTheSessionDeletesItsCheckpoints();
    void openAiCompatibleModelHearsOfTheUndoToo();
    void aCheckpointThatFailsIsSaidAndTheCallStillRuns();

private:
    // Three writing calls and one read-only call in two turns, all auto-approved.
    std::unique_ptr<AgentSession> runWritingChat();
    AgentOptions options() const;
    std::vector<AgentTool> tools() const;
    static bool waitForRun(AgentSession &s);
    std::vector<Event> stored(const QString &sessionId) const;

    QTemporaryDir m_dir;
    QString m_db;
    QString m_workspace;
    std::unique_ptr<FakeModelServer> m_server;
    std::vector<Event> m_events;
};

void TestSessionUndo::init()
{
    QVERIFY(m_dir.isValid());
    m_server = std::make_unique<FakeModelServer>();
    const QString name = QString::fromLatin1(QTest::currentTestFunction());
    m_db = m_dir.filePath(name + QStringLiteral("/airlock.db"));
    m_workspace = m_dir.filePath(name + QStringLiteral("/workspace"));
    QVERIFY(QDir().mkpath(m_workspace));
    write(m_workspace + QStringLiteral("/keep.txt"), "v1\n");
    write(m_workspace + QStringLiteral("/gone.txt"), "doomed\n");
    m_events.clear();
}

AgentOptions TestSessionUndo::options() const
{
    AgentOptions o;
    o.provider.kind = ProviderKind::Anthropic;
    o.provider.baseUrl = m_server->baseUrl();
    o.provider.model = QStringLiteral("claude-test");
    o.provider.apiKey = QStringLiteral("sk-test-key");
    o.provider.maxRetries = 0;
    o.approval = AgentOptions::Approval::AutoApprove;
    o.workspaceDir = m_workspace;
    o.prepareEarly = false;
    return o;
}

std::vector<AgentTool> TestSessionUndo::tools() const
{
    auto sandbox = std::make_shared<FolderSandbox>(m_workspace);
    const auto tool = [&](const char *name, bool readOnly) {
        QJsonObject d{{QStringLiteral("name"), QString::fromLatin1(name)},
                      {QStringLiteral("description"), QStringLiteral("a file tool")}};
        if (readOnly)
            d.insert(QStringLiteral("annotations"), QJsonObject{{QStringLiteral("readOnlyHint"), true}});
        return AgentTool::fromDescription(d, sandbox, QStringLiteral("builtin"));
    };
    return {tool("write_file", false), tool("delete_file", false), tool("read_file", true)};
}

bool TestSessionUndo::waitForRun(AgentSession &s)
{
    QSignalSpy done(&s, &AgentSession::runFinished);
    return done.wait(30000) && done.first().at(0).value<AgentSession::Outcome>() == AgentSession::Outcome::EndTurn;
}

std::vector<Event> TestSessionUndo::stored(const QString &sessionId) const
{
    auto store = EventStore::open(m_db);
    if (!store)
        qFatal("%s", qPrintable(store.error().message));
    auto events = (*store)->events(sessionId);
    if (!events)
        qFatal("%s", qPrintable(events.error().message));
    return std::move(*events);
}

std::unique_ptr<AgentSession> TestSessionUndo::runWritingChat()
{
    m_server->enqueue(FakeResponse::sse(
        AnthropicScript()
            .toolUse(QStringLiteral("toolu_1"), QStringLiteral("write_file"), pathInput("keep.txt", "v2\n"))
            .end(QStringLiteral("tool_use"))));
    m_server->enqueue(FakeResponse::sse(
        AnthropicScript()
            .toolUse(QStringLiteral("toolu_2"), QStringLiteral("delete_file"), pathInput("gone.txt"))
            .toolUse(QStringLiteral("toolu_3"), QStringLiteral("write_file"), pathInput("sub/new.txt", "fresh\n"))
            .toolUse(QStringLiteral("toolu_4"), QStringLiteral("read_file"), pathInput("keep.txt"))
            .end(QStringLiteral("tool_use"))));
    m_server->enqueue(
        FakeResponse::sse(AnthropicScript().text(QStringLiteral("Done.")).end(QStringLiteral("end_turn"))));
    QDir().mkpath(QFileInfo(m_db).absolutePath());
    auto session = AgentSession::create(m_db, options(), tools(), PolicyEngine());
    if (!session)
        qFatal("%s", qPrintable(session.error().message));
    connect(session->get(), &AgentSession::eventRecorded, this, [this](const Event &e) { m_events.push_back(e); });
    if (!(*session)->send(QStringLiteral("tidy up")).ok() || !waitForRun(**session))
        qFatal("the writing chat did not end its turn");
    if (read(m_workspace + "/keep.txt") != "v2\n" || QFile::exists(m_workspace + "/gone.txt") ||
        read(m_workspace + "/sub/new.txt") != "fresh\n")
        qFatal("the calls did not change the workspace");
    return std::move(*session);
}

void TestSessionUndo::undoPutsTheWorkspaceBackAndTheModelHearsOfIt()
{
    auto s = runWritingChat();
    // A checkpoint before each writing call, none before the read-only one, in a
    // folder of the session's own beside the database.
    QStringList checkpointed;
    for (const Event &e : m_events)
        if (e.knownKind() == EventKind::Checkpoint)
            checkpointed << payloads::Checkpoint::from(e).callId;
    QCOMPARE(checkpointed, (QStringList{"toolu_1", "toolu_2", "toolu_3"}));
    const QString storeDir = SessionStateDir::checkpoints(m_db, s->sessionId());
    QVERIFY(QFileInfo(storeDir).isDir());
    const auto first = payloads::Checkpoint::from(*std::find_if(
        m_events.begin(), m_events.end(), [](const Event &e) { return e.knownKind() == EventKind::Checkpoint; }));
    QCOMPARE(first.files, 2);
    QCOMPARE(first.stored, 2);
    QVERIFY(first.bytesAdded > 0);

    // Without a call id: the latest checkpointed call.
    auto plan = s->planUndo();
    QVERIFY(plan.ok());
    QCOMPARE(plan->callId, QStringLiteral("toolu_3"));

    // Back to before toolu_2: the deleted file returns, the added one goes, and
    // toolu_1's change stays.
    QSignalSpy finished(s.get(), &AgentSession::undoFinished);
    QVERIFY(s->undo(QStringLiteral("toolu_2")).ok());
    QVERIFY(s->isUndoing());
    QCOMPARE(s->send(QStringLiteral("too early")).error().code, Error::Code::Busy);
    QVERIFY(finished.wait(30000));
    QVERIFY2(finished.first().at(0).toBool(), qPrintable(finished.first().at(1).toString()));
    QCOMPARE(read(m_workspace + "/gone.txt"), QByteArray("doomed\n"));
    QVERIFY(!QFile::exists(m_workspace + "/sub/new.txt"));
    QVERIFY(!QFileInfo::exists(m_workspace + "/sub"));
    QCOMPARE(read(m_workspace + "/keep.txt"), QByteArray("v2\n"));
    const Event undoEvent = m_events.back();
    QCOMPARE(undoEvent.knownKind(), std::optional<EventKind>(EventKind::Undo));
    const auto undone = payloads::Undo::from(undoEvent);
    QCOMPARE(undone.callId, QStringLiteral("toolu_2"));
    QCOMPARE(undone.undone, (QStringList{"toolu_2", "toolu_3"}));
    QVERIFY(undone.written >= 1);
    QVERIFY(undone.removed >= 1);

    // Then the rest: the latest call not undone yet is toolu_1.
    finished.clear();
    QVERIFY(s->undo().ok());
    QVERIFY(finished.wait(30000));
    QVERIFY(finished.first().at(0).toBool());
    QCOMPARE(read(m_workspace + "/keep.txt"), QByteArray("v1\n"));
    QCOMPARE(payloads::Undo::from(m_events.back()).undone, QStringList{"toolu_1"});
    QCOMPARE(s->undo().error().code, Error::Code::NotFound); // nothing left

    // The next prompt carries both notes, before the person's text.
    m_server->enqueue(
        FakeResponse::sse(AnthropicScript().text(QStringLiteral("Noted.")).end(QStringLiteral("end_turn"))));
    QVERIFY(s->send(QStringLiteral("what now?")).ok());
    QVERIFY(waitForRun(*s));
    const QString sent = userTexts(m_server->requests().back().body);
    QVERIFY2(sent.contains(QLatin1String("the user undid calls toolu_2, toolu_3")), qPrintable(sent));
    QVERIFY2(sent.contains(QLatin1String("the user undid call toolu_1")), qPrintable(sent));
    QVERIFY(sent.indexOf(QLatin1String("undid call toolu_1")) < sent.indexOf(QLatin1String("what now?")));
    // Only once: the turn after it does not hear it again.
    QCOMPARE(sent.count(QLatin1String("undid call toolu_1")), 1);

    // On disk: the chain holds, the transcript marks the undone calls (not the
    // read-only one), and a resume rebuilds the very conversation that was sent.
    QVERIFY(s->flush().ok());
    const std::vector<Event> events = stored(s->sessionId());
    QVERIFY(ChainVerifier::verify(events).intact);
    Transcript transcript;
    transcript.applyAll(events);
    QStringList undoneRows, notices;
    for (const TranscriptEntry &e : transcript.entries()) {
        if (e.kind == TranscriptEntry::Kind::ToolCall && e.undone)
            undoneRows << e.callId;
        if (e.kind == TranscriptEntry::Kind::ToolCall && e.callId != QLatin1String("toolu_4"))
            QVERIFY(!e.checkpoint.isEmpty());
        if (e.noticeKind == TranscriptEntry::NoticeKind::Undone)
            notices << e.callId;
    }
    QCOMPARE(undoneRows, (QStringList{"toolu_1", "toolu_2", "toolu_3"}));
    QCOMPARE(notices, (QStringList{"toolu_2", "toolu_1"}));
    const RebuiltConversation rebuilt = ConversationRebuilder::rebuild(events);
    QVERIFY(rebuilt.pendingNotes.isEmpty());
    bool found = false;
    for (const ChatMessage &m : rebuilt.messages)
        found = found || (m.role == ChatMessage::Role::User && m.text.contains(QLatin1String("undid call toolu_1")) &&
                          m.text.endsWith(QLatin1String("what now?")));
    QVERIFY(found);
}

void TestSessionUndo::storedSessionIsUndoneAndTheResumedModelHearsOfIt()
{
    QString id;
    {
        auto s = runWritingChat();
        id = s->sessionId();
        QVERIFY(s->flush().ok());
    }
    // The CLI's path: the session is not open; a prefix of its id is enough.
    auto undone = SessionUndo::undoStored(m_db, id.left(6), QStringLiteral("toolu_1"));
    QVERIFY2(undone.ok(), undone.ok() ? "" : qPrintable(undone.error().message));
    QCOMPARE(undone->sessionId, id);
    QCOMPARE(payloads::Undo::from(*undone).undone, (QStringList{"toolu_1", "toolu_2", "toolu_3"}));
    QCOMPARE(read(m_workspace + "/keep.txt"), QByteArray("v1\n"));
    QCOMPARE(read(m_workspace + "/gone.txt"), QByteArray("doomed\n"));
    QVERIFY(!QFile::exists(m_workspace + "/sub/new.txt"));
    QVERIFY(ChainVerifier::verify(stored(id)).intact);
    // Undone already: a second undo to it is refused, and so is one with nothing left.
    QCOMPARE(SessionUndo::undoStored(m_db, id, QStringLiteral("toolu_3")).error().code, Error::Code::BadInput);
    QCOMPARE(SessionUndo::undoStored(m_db, id, QString()).error().code, Error::Code::NotFound);

    // Resumed, the session tells the model with the next prompt.
    m_server->enqueue(
        FakeResponse::sse(AnthropicScript().text(QStringLiteral("Noted.")).end(QStringLiteral("end_turn"))));
    auto resumed = AgentSession::resume(m_db, id, options(), tools(), PolicyEngine());
    QVERIFY(resumed.ok());
    QVERIFY((*resumed)->send(QStringLiteral("carry on")).ok());
    QVERIFY(waitForRun(**resumed));
    const QString sent = userTexts(m_server->requests().back().body);
    QVERIFY2(sent.contains(QLatin1String("the user undid calls toolu_1, toolu_2, toolu_3. The workspace is back to "
                                         "how it was before call toolu_1 ran")),
             qPrintable(sent));
    QVERIFY(sent.contains(QLatin1String("carry on")));
    QVERIFY((*resumed)->flush().ok());
    QVERIFY(ChainVerifier::verify(stored(id)).intact);
}

void TestSessionUndo::undoRefusesWhatItCannotDo()
{
    auto s = runWritingChat();
    // A read-only call has no checkpoint; an unknown id is not a call of this session.
    auto readOnly = s->undo(QStringLiteral("toolu_4"));
    QCOMPARE(readOnly.error().code, Error::Code::BadInput);
    QVERIFY2(readOnly.error().message.contains(QLatin1String("has no checkpoint")),
             qPrintable(readOnly.error().message));
    QCOMPARE(s->undo(QStringLiteral("toolu_9")).error().code, Error::Code::NotFound);
    QVERIFY(!s->isUndoing());

    // A pruned checkpoint says so; a session without a shared workspace has none.
    SessionUndo fold;
    fold.applyAll(m_events);
    QVERIFY(fold.plan(QStringLiteral("toolu_1")).ok());
    Event pruning = m_events.back();
    pruning.kind = eventKindName(EventKind::Checkpoint);
    payloads::Checkpoint later{QStringLiteral("toolu_5"), QStringLiteral("99-toolu_5"), 1, 1, 1, 1, false, {}};
    later.pruned = {payloads::Checkpoint::from(*std::find_if(m_events.begin(), m_events.end(), [](const Event &e) {
                        return e.knownKind() == EventKind::Checkpoint;
                    })).checkpoint};
    pruning.payload = Event::canonicalPayload(later.toJson());
    fold.apply(pruning);
    auto pruned = fold.plan(QStringLiteral("toolu_1"));
    QCOMPARE(pruned.error().code, Error::Code::NotFound);
    QVERIFY2(pruned.error().message.contains(QLatin1String("max_count")), qPrintable(pruned.error().message));
    QCOMPARE(SessionUndo().plan().error().code, Error::Code::NotFound);
}

void TestSessionUndo::checkpointsArePrunedToTheLimit()
{
    // max_count 1: only the latest checkpoint is kept, the others are pruned.
    m_server->enqueue(FakeResponse::sse(
        AnthropicScript()
            .toolUse(QStringLiteral("toolu_1"), QStringLiteral("write_file"), pathInput("a.txt", "a\n"))
            .toolUse(QStringLiteral("toolu_2"), QStringLiteral("write_file"), pathInput("b.txt", "b\n"))
            .end(QStringLiteral("tool_use"))));
    m_server->enqueue(
        FakeResponse::sse(AnthropicScript().text(QStringLiteral("Done.")).end(QStringLiteral("end_turn"))));
    AgentOptions o = options();
    o.checkpoints.maxCount = 1;
    QDir().mkpath(QFileInfo(m_db).absolutePath());
    auto s = AgentSession::create(m_db, o, tools(), PolicyEngine());
    QVERIFY(s.ok());
    connect(s->get(), &AgentSession::eventRecorded, this, [this](const Event &e) { m_events.push_back(e); });
    QVERIFY((*s)->send(QStringLiteral("two files")).ok());
    QVERIFY(waitForRun(**s));
    std::vector<payloads::Checkpoint> taken;
    for (const Event &e : m_events)
        if (e.knownKind() == EventKind::Checkpoint)
            taken.push_back(payloads::Checkpoint::from(e));
    QCOMPARE(taken.size(), std::size_t(2));
    QCOMPARE(taken[1].pruned, QStringList{taken[0].checkpoint});
    QCOMPARE((*s)->undo(QStringLiteral("toolu_1")).error().code, Error::Code::NotFound);
    QVERIFY((*s)->planUndo().ok());
}

void TestSessionUndo::deletingTheSessionDeletesItsCheckpoints()
{
    QString id;
    {
        auto s = runWritingChat();
        id = s->sessionId();
        QVERIFY(s->flush().ok());
    }
    const QString folder = SessionStateDir::of(m_db, id);
    QVERIFY(QFileInfo(folder + QStringLiteral("/checkpoints")).isDir());
    QCOMPARE(QFileInfo(folder).permissions() & (QFileDevice::ReadOther | QFileDevice::ReadGroup),
             QFileDevice::Permissions());
    auto store = EventStore::open(m_db);
    QVERIFY(store.ok());
    QVERIFY((*store)->deleteSession(id).ok());
    QVERIFY(!QFileInfo::exists(folder));
}

void TestSessionUndo::openAiCompatibleModelHearsOfTheUndoToo()
{
    m_server->enqueue(FakeResponse::sse(
        OpenAiScript()
            .toolCalls({{QStringLiteral("call_a"), pathInput("keep.txt", "v2\n")}}, QStringLiteral("write_file"))
            .end(QStringLiteral("tool_calls"))));
    m_server->enqueue(FakeResponse::sse(OpenAiScript().text(QStringLiteral("Done.")).end(QStringLiteral("stop"))));
    AgentOptions o = options();
    o.provider.kind = ProviderKind::OpenAi;
    o.provider.baseUrl = m_server->baseUrl() + QStringLiteral("/v1");
    o.provider.model = QStringLiteral("llama3.1");
    QDir().mkpath(QFileInfo(m_db).absolutePath());
    auto s = AgentSession::create(m_db, o, tools(), PolicyEngine());
    QVERIFY(s.ok());
    QVERIFY((*s)->send(QStringLiteral("edit")).ok());
    QVERIFY(waitForRun(**s));
    QCOMPARE(read(m_workspace + "/keep.txt"), QByteArray("v2\n"));
    QSignalSpy finished(s->get(), &AgentSession::undoFinished);
    QVERIFY((*s)->undo().ok());
    QVERIFY(finished.wait(30000));
    QCOMPARE(read(m_workspace + "/keep.txt"), QByteArray("v1\n"));

    m_server->enqueue(FakeResponse::sse(OpenAiScript().text(QStringLiteral("Noted.")).end(QStringLiteral("stop"))));
    QVERIFY((*s)->send(QStringLiteral("again?")).ok());
    QVERIFY(waitForRun(**s));
    // A plain user message, as the Chat Completions format has it (no tool message needed).
    const QJsonArray messages =
        QJsonDocument::fromJson(m_server->requests().back().body).object().value(QLatin1String("messages")).toArray();
    const QJsonObject last = messages.last().toObject();
    QCOMPARE(last.value(QLatin1String("role")).toString(), QStringLiteral("user"));
    const QString text = last.value(QLatin1String("content")).toString();
    QVERIFY2(text.startsWith(QLatin1String("[Airlock: the user undid call call_a.")), qPrintable(text));
    QVERIFY(text.endsWith(QLatin1String("again?")));
    QCOMPARE(messages.at(messages.size() - 2).toObject().value(QLatin1String("role")).toString(),
             QStringLiteral("assistant"));
}

void TestSessionUndo::aCheckpointThatFailsIsSaidAndTheCallStillRuns()
{
    m_server->enqueue(FakeResponse::sse(
        AnthropicScript()
            .toolUse(QStringLiteral("toolu_1"), QStringLiteral("write_file"), pathInput("keep.txt", "v2\n"))
            .end(QStringLiteral("tool_use"))));
    m_server->enqueue(
        FakeResponse::sse(AnthropicScript().text(QStringLiteral("Done.")).end(QStringLiteral("end_turn"))));
    // A store folder that cannot be made: below a plain file.
    write(m_workspace + QStringLiteral("/../plain"), "x");
    AgentOptions o = options();
    o.checkpoints.storeDir = m_workspace + QStringLiteral("/../plain/sessions/x/checkpoints");
    QDir().mkpath(QFileInfo(m_db).absolutePath());
    auto s = AgentSession::create(m_db, o, tools(), PolicyEngine());
    QVERIFY(s.ok());
    connect(s->get(), &AgentSession::eventRecorded, this, [this](const Event &e) { m_events.push_back(e); });
    QVERIFY((*s)->send(QStringLiteral("edit")).ok());
    QVERIFY(waitForRun(**s));
    QCOMPARE(read(m_workspace + "/keep.txt"), QByteArray("v2\n")); // the work went on
    bool said = false;
    for (const Event &e : m_events) {
        QVERIFY(e.knownKind() != EventKind::Checkpoint);
        if (e.knownKind() == EventKind::Error) {
            const auto error = payloads::Error::from(e);
            said = error.where == QLatin1String("checkpoint") && error.callId == QLatin1String("toolu_1") &&
                   error.message.contains(QLatin1String("cannot be undone"));
        }
    }
    QVERIFY(said);
    QCOMPARE((*s)->undo().error().code, Error::Code::NotFound);
}

QTEST_GUILESS_MAIN(TestSessionUndo)
#include "tst_session_undo.moc"
