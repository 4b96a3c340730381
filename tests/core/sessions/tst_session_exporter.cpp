// The Markdown export of a session: what a tool call changed is listed with the
// call, with each text file's diff; its screenshots are images by relative path.

#include "core/events/EventChain.h"
#include "core/events/EventPayloads.h"
#include "core/sessions/SessionExporter.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace airlock;

class TestSessionExporter final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void markdownListsChangedFilesWithTheirDiffs();
    void cutOffAnswerIsMarkedInBothFormats();
    void exportSaysWhatTheWindowSays();
    void screenshotsAreEmbeddedByTheirWorkspacePaths();
};

void TestSessionExporter::markdownListsChangedFilesWithTheirDiffs()
{
    EventChain c(QStringLiteral("s1"));
    const QString id = QStringLiteral("call_1");
    const QString diff = QStringLiteral("@@ -1 +1 @@\n-old\n+new\n");
    std::vector<Event> events{
        c.next(EventKind::ModelToolCall,
               {{QStringLiteral("call_id"), id}, {QStringLiteral("tool"), QStringLiteral("exec")}}),
        c.next(EventKind::ExecutionStarted, {{QStringLiteral("call_id"), id}}),
        c.next(EventKind::FileChanged, {{QStringLiteral("call_id"), id},
                                        {QStringLiteral("path"), QStringLiteral("src/a.txt")},
                                        {QStringLiteral("change"), QStringLiteral("modified")},
                                        {QStringLiteral("diff"), diff},
                                        {QStringLiteral("added"), 1},
                                        {QStringLiteral("removed"), 1}}),
        c.next(EventKind::FileChanged, {{QStringLiteral("call_id"), id},
                                        {QStringLiteral("path"), QStringLiteral("logo.png")},
                                        {QStringLiteral("change"), QStringLiteral("created")},
                                        {QStringLiteral("binary"), true}}),
        c.next(EventKind::FileChanged, {{QStringLiteral("call_id"), id},
                                        {QStringLiteral("path"), QStringLiteral("big.log")},
                                        {QStringLiteral("change"), QStringLiteral("modified")},
                                        {QStringLiteral("no_diff"), QStringLiteral("too large")},
                                        {QStringLiteral("added"), 0},
                                        {QStringLiteral("removed"), 0}}),
        c.next(EventKind::ExecutionFinished, {{QStringLiteral("call_id"), id},
                                              {QStringLiteral("ok"), true},
                                              {QStringLiteral("result"), QStringLiteral("done")}}),
    };
    SessionSummary session;
    session.id = QStringLiteral("s1");
    const QString md =
        QString::fromUtf8(SessionExporter::exportSession(session, events, SessionExporter::Format::Markdown));
    QVERIFY2(md.contains(QStringLiteral("**Changed files** `call_1`:\n\n- `src/a.txt` (modified, +1 \u22121)\n"
                                        "- `logo.png` (created, binary)\n"
                                        "- `big.log` (modified, no diff: too large)\n")),
             qPrintable(md));
    QVERIFY(md.contains(QStringLiteral("`src/a.txt`:\n\n```diff\n") + diff + QStringLiteral("```\n")));
    QVERIFY(!md.contains(QStringLiteral("`logo.png`:")));
    QVERIFY(md.indexOf(QStringLiteral("**Changed files**")) < md.indexOf(QStringLiteral("**Result**")));
}

void TestSessionExporter::screenshotsAreEmbeddedByTheirWorkspacePaths()
{
    EventChain c(QStringLiteral("s3"));
    const QString id = QStringLiteral("call_1");
    payloads::Screenshot first;
    first.callId = id;
    first.tool = QStringLiteral("browser_screenshot");
    first.path = QStringLiteral("screenshots/shot-001-call_1.png");
    first.format = QStringLiteral("png");
    first.width = 1280;
    first.height = 800;
    first.bytes = 4096;
    first.url = QStringLiteral("http://127.0.0.1:8000/[form]");
    payloads::Screenshot second = first;
    second.path = QStringLiteral("screenshots/my shot (2).png"); // a name a Markdown link cannot hold as is
    second.url.clear();
    second.width = 640;
    second.height = 400;
    std::vector<Event> events{
        c.next(EventKind::ModelToolCall, {{QStringLiteral("call_id"), id}, {QStringLiteral("tool"), first.tool}}),
        c.next(EventKind::ExecutionStarted, {{QStringLiteral("call_id"), id}}),
        c.next(EventKind::Screenshot, first.toJson()),
        c.next(EventKind::Screenshot, second.toJson()),
        c.next(EventKind::ExecutionFinished, {{QStringLiteral("call_id"), id},
                                              {QStringLiteral("ok"), true},
                                              {QStringLiteral("result"), QStringLiteral("saved")}}),
    };
    SessionSummary session;
    session.id = QStringLiteral("s3");
    const QString md =
        QString::fromUtf8(SessionExporter::exportSession(session, events, SessionExporter::Format::Markdown));
    const QString time = QDateTime::fromMSecsSinceEpoch(events[2].timeMs).toUTC().toString(Qt::ISODate);
    QVERIFY2(md.contains(QStringLiteral("![Screenshot 1280\u00d7800 of http://127.0.0.1:8000/(form)]"
                                        "(screenshots/shot-001-call_1.png)\n\n*Screenshot* "
                                        "`screenshots/shot-001-call_1.png` (call `call_1`, %1)\n")
                             .arg(time)),
             qPrintable(md));
    QVERIFY2(md.contains(QStringLiteral("![Screenshot 640\u00d7400](screenshots/my%20shot%20%282%29.png)")),
             qPrintable(md));
    // With the call, before its result.
    QVERIFY(md.indexOf(QStringLiteral("**Tool call** `browser_screenshot`")) < md.indexOf(QStringLiteral("![")));
    QVERIFY(md.indexOf(QStringLiteral("![")) < md.indexOf(QStringLiteral("**Result**")));
}

void TestSessionExporter::cutOffAnswerIsMarkedInBothFormats()
{
    EventChain c(QStringLiteral("s2"));
    std::vector<Event> events{
        c.next(EventKind::UserMessage, {{QStringLiteral("text"), QStringLiteral("write a poem")}}),
        c.next(EventKind::ModelTextDelta,
               {{QStringLiteral("text"), QStringLiteral("Roses are")}, {QStringLiteral("turn"), 0}}),
    };
    SessionSummary session;
    session.id = QStringLiteral("s2");
    const QString md =
        QString::fromUtf8(SessionExporter::exportSession(session, events, SessionExporter::Format::Markdown));
    QVERIFY2(md.contains(QStringLiteral("Roses are\n\n> **Interrupted: this answer was cut off.")), qPrintable(md));

    const QJsonObject json =
        QJsonDocument::fromJson(SessionExporter::exportSession(session, events, SessionExporter::Format::Json))
            .object()
            .value(QLatin1String("session"))
            .toObject();
    QCOMPARE(json.value(QLatin1String("interrupted")).toBool(), true);
    const QJsonArray cut = json.value(QLatin1String("interrupted_answers")).toArray();
    QCOMPARE(cut.size(), 1);
    QCOMPARE(cut[0].toObject().value(QLatin1String("first_seq")).toInt(), 2);

    // With its end recorded, the same answer is complete.
    events.push_back(c.next(EventKind::ModelTurnEnded, {{QStringLiteral("turn"), 0}}));
    QVERIFY(
        !SessionExporter::exportSession(session, events, SessionExporter::Format::Markdown).contains("Interrupted"));
    QVERIFY(SessionExporter::interruptedAnswers(events).isEmpty());
}

// As the transcript shows them: an edited call with what the model asked for, a
// call settled by a stop as not run (not "denied by stop"), no retry note the turn
// went past.
void TestSessionExporter::exportSaysWhatTheWindowSays()
{
    EventChain c(QStringLiteral("s3"));
    const QJsonObject asked{{QStringLiteral("command"), QStringLiteral("rm -rf build")}};
    const QJsonObject ran{{QStringLiteral("command"), QStringLiteral("rm -rf build/tmp")}};
    std::vector<Event> events{
        c.next(EventKind::UserMessage, {{QStringLiteral("text"), QStringLiteral("clean up")}}),
        c.next(EventKind::ModelRetrying, {{QStringLiteral("attempt"), 1},
                                          {QStringLiteral("max_attempts"), 2},
                                          {QStringLiteral("delay_ms"), 1000},
                                          {QStringLiteral("status"), 429},
                                          {QStringLiteral("message"), QStringLiteral("rate limited")},
                                          {QStringLiteral("turn"), 1}}),
        c.next(EventKind::ModelTextDelta,
               {{QStringLiteral("text"), QStringLiteral("Cleaning.")}, {QStringLiteral("turn"), 1}}),
        c.next(EventKind::ModelToolCall, {{QStringLiteral("call_id"), QStringLiteral("c1")},
                                          {QStringLiteral("tool"), QStringLiteral("exec")},
                                          {QStringLiteral("input"), asked}}),
        c.next(EventKind::ModelToolCall, {{QStringLiteral("call_id"), QStringLiteral("c2")},
                                          {QStringLiteral("tool"), QStringLiteral("exec")},
                                          {QStringLiteral("input"), asked}}),
        c.next(EventKind::ApprovalGranted, {{QStringLiteral("call_id"), QStringLiteral("c1")},
                                            {QStringLiteral("by"), QStringLiteral("user")},
                                            {QStringLiteral("scope"), QStringLiteral("once")},
                                            {QStringLiteral("edited_input"), ran}}),
        c.next(EventKind::ApprovalDenied,
               {{QStringLiteral("call_id"), QStringLiteral("c2")},
                {QStringLiteral("by"), QStringLiteral("stop")},
                {QStringLiteral("reason"), QStringLiteral("the user stopped the turn before deciding")}}),
    };
    SessionSummary session;
    session.id = QStringLiteral("s3");
    const QString md =
        QString::fromUtf8(SessionExporter::exportSession(session, events, SessionExporter::Format::Markdown));
    QVERIFY2(md.contains(QStringLiteral("Edited by you before approving; the model asked for:")), qPrintable(md));
    QVERIFY(md.contains(QStringLiteral("rm -rf build/tmp"))); // what ran
    QVERIFY(md.contains(QStringLiteral("> Not run: you stopped the turn")));
    QVERIFY2(!md.contains(QStringLiteral("Denied by stop")), qPrintable(md));
    QVERIFY2(!md.contains(QStringLiteral("etrying")), qPrintable(md));
}

QTEST_GUILESS_MAIN(TestSessionExporter)
#include "tst_session_exporter.moc"
