// The approval card in the default 1280×800 window, with a scripted agent (no
// server): what a call touches comes first and whole, long values scroll inside
// the card and the window never grows, the content of a write is shown once (in
// the diff), the diff follows an edit, the editor is per field and validates as
// one types, "always" is refused with its reason when the policy could never use
// the rule, and the badge line says what is known instead of "destructive".

#include "core/egress/EgressPolicy.h"
#include "ui/approval/ApprovalCard.h"
#include "ui/approval/ArgumentEditor.h"
#include "ui/chat/ChatPanel.h"
#include "ui/files/DiffView.h"
#include "ui/sessions/SessionListModel.h"
#include "ui/window/MainWindow.h"

#include "tests/support/ScriptedAgent.h"

#include <QCheckBox>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScrollArea>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace airlock;
using namespace airlock::test;

class TestApprovalCard final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init();
    void writeCardsKeepTheWindowAndShowThePathFirst();
    void theDiffFollowsTheEditedArguments();
    void theEditorValidatesEachFieldAsYouType();
    void alwaysIsRefusedWithItsReasonForAPipe();
    void theBadgeLineSaysWhatIsKnown();
    void tryFirstShowsWhatTheCallWouldChange();
    void theNetworkLineNamesHostsAndCredentials();
    void factsTheToolGivesAreShown();

private:
    std::unique_ptr<MainWindow> openWindow();
    static void screenshot(QWidget &w, const QString &name);

    QTemporaryDir m_dir;
    std::shared_ptr<TurnScript> m_script;
    int m_windows = 0;
    bool m_writing = false; // the tools write the workspace for real (and can be tried first)
};

void TestApprovalCard::init()
{
    m_script = std::make_shared<TurnScript>();
    m_writing = false;
}

std::unique_ptr<MainWindow> TestApprovalCard::openWindow()
{
    const QString workspace = m_dir.path();
    auto w = std::make_unique<MainWindow>(m_dir.filePath(QStringLiteral("w%1.db").arg(++m_windows)),
                                          [script = m_script, workspace, writing = m_writing]() -> Result<AgentSetup> {
                                              AgentSetup setup = scriptedSetup(script, workspace);
                                              if (writing)
                                                  setup.tools = approvalTools(
                                                      workspace, std::make_shared<WritingSandbox>(workspace));
                                              return setup;
                                          });
    w->show();
    if (!QTest::qWaitForWindowExposed(w.get()))
        qFatal("the window was not shown");
    // The session list loads off the UI thread; a late load must not reopen the
    // chat under a card that is already up.
    if (!QTest::qWaitFor([&w] { return w->sessions()->isLoaded(); }, 10000))
        qFatal("the session list did not load");
    w->newSession();
    return w;
}

void TestApprovalCard::screenshot(QWidget &w, const QString &name)
{
    QTest::qWait(50); // the transcript applies row changes once per frame
    const QPixmap shot = w.grab();
    QVERIFY(!shot.isNull());
    QVERIFY(shot.save(QStringLiteral(AIRLOCK_BINARY_DIR "/test-artifacts/") + name));
}

namespace {

QString lines(int n, const QString &word)
{
    QStringList out;
    for (int i = 1; i <= n; ++i)
        out << QStringLiteral("%1 %2").arg(word).arg(i);
    return out.join(u'\n') + u'\n';
}

QString longPath(int i)
{
    return QStringLiteral("src/very/deeply/nested/folder/structure/that/goes/on/and/on/for/a/while/"
                          "module_%1/implementation_details/generated_file_with_a_long_name_%1.txt")
        .arg(i);
}

// The widget's whole rectangle lies inside `outer`.
bool inside(const QWidget *w, const QWidget *outer)
{
    const QRect r(w->mapTo(outer, QPoint(0, 0)), w->size());
    return outer->rect().contains(r);
}

} // namespace

void TestApprovalCard::writeCardsKeepTheWindowAndShowThePathFirst()
{
    std::vector<StreamItem> turn;
    for (int i = 1; i <= 3; ++i)
        turn.push_back(StreamItem::toolCall(
            QStringLiteral("toolu_%1").arg(i), QStringLiteral("write_file"),
            {{QStringLiteral("path"), longPath(i)}, {QStringLiteral("content"), lines(200, QStringLiteral("row"))}}));
    turn.push_back(StreamItem::stop(StopReason::ToolUse, QStringLiteral("tool_use")));
    m_script->turns.push_back(turn);
    m_script->turns.push_back(textTurn(QStringLiteral("written")));
    auto w = openWindow();
    QCOMPARE(w->size(), QSize(1280, 800));
    w->chat()->send(QStringLiteral("write three files"));
    ApprovalCard *card = w->chat()->approvalCard();
    for (int i = 1; i <= 3; ++i) {
        QTRY_VERIFY_WITH_TIMEOUT(card->isVisible() && card->callId() == QStringLiteral("toolu_%1").arg(i), 10000);
        QTRY_VERIFY_WITH_TIMEOUT(!card->diffText().isEmpty(), 10000);
        QTest::qWait(50);           // let the layout settle
        QCOMPARE(w->height(), 800); // the window never grows for a card

        // The path: first, whole, inside the card.
        QLabel *targets = card->targetsLabel();
        QVERIFY(targets->isVisible());
        QVERIFY2(targets->text().contains(longPath(i).toHtmlEscaped()), qPrintable(targets->text()));
        QVERIFY(!targets->text().contains(QLatin1String("row 1")));
        QVERIFY(inside(targets, card));
        QVERIFY2(targets->heightForWidth(targets->width()) <= targets->height(),
                 qPrintable(QStringLiteral("needs %1, has %2")
                                .arg(targets->heightForWidth(targets->width()))
                                .arg(targets->height())));
        QVERIFY(targets->y() < card->argumentsArea()->y());
        QVERIFY(targets->y() < card->diffView()->y());

        // The content once: in the diff, not also as a field.
        const QString args = card->argumentsLabel()->text();
        QVERIFY2(!args.contains(QLatin1String("row 150")), qPrintable(args.left(400)));
        QVERIFY2(args.contains(QLatin1String("see the change below")), qPrintable(args));
        QVERIFY(card->diffText().contains(QLatin1String("+row 150")));

        // A diff one can read: at least eight lines in view (beside three queued
        // calls, the prompt and a quarter-height Logs dock at 1280×800), the rest scrolls.
        DiffView *diff = card->diffView();
        QVERIFY(inside(diff, card));
        if (i == 1) // before the check: the picture shows a failure too
            screenshot(*w, QStringLiteral("approval-write-1280x800.png"));
        const int visibleLines = diff->viewport()->height() / diff->fontMetrics().lineSpacing();
        QVERIFY2(visibleLines >= 8, qPrintable(QString::number(visibleLines)));
        card->findChild<QPushButton *>(QStringLiteral("approveOnce"))->click();
    }
    QSignalSpy finished(w->chat(), &ChatPanel::runFinished);
    QVERIFY(finished.wait(10000));
    QCOMPARE(w->height(), 800);
}

void TestApprovalCard::theDiffFollowsTheEditedArguments()
{
    m_script->turns.push_back(toolTurn(QStringLiteral("toolu_1"), QStringLiteral("write_file"),
                                       {{QStringLiteral("path"), QStringLiteral("notes.txt")},
                                        {QStringLiteral("content"), QStringLiteral("first\n")}}));
    m_script->turns.push_back(textTurn(QStringLiteral("ok")));
    auto w = openWindow();
    w->chat()->send(QStringLiteral("write notes"));
    ApprovalCard *card = w->chat()->approvalCard();
    QTRY_VERIFY_WITH_TIMEOUT(card->isVisible(), 10000);
    QTRY_VERIFY_WITH_TIMEOUT(card->diffText().contains(QLatin1String("+first")), 10000);

    QTest::mouseClick(card->findChild<QPushButton *>(QStringLiteral("editArguments")), Qt::LeftButton);
    auto *content = qobject_cast<QPlainTextEdit *>(card->argumentEditor()->fieldWidget(QStringLiteral("content")));
    QVERIFY(content);
    content->setFocus();
    content->moveCursor(QTextCursor::End);
    QTest::keyClicks(content, QStringLiteral("edited line"));
    QTRY_VERIFY_WITH_TIMEOUT(card->diffText().contains(QLatin1String("+edited line")), 5000);
    QVERIFY(card->diffText().contains(QLatin1String("notes.txt")));

    auto *path = qobject_cast<QLineEdit *>(card->argumentEditor()->fieldWidget(QStringLiteral("path")));
    QVERIFY(path);
    path->selectAll();
    QTest::keyClicks(path, QStringLiteral("other.txt"));
    QTRY_VERIFY_WITH_TIMEOUT(card->diffText().contains(QLatin1String("other.txt")), 5000);
    QVERIFY(!card->diffText().contains(QLatin1String("notes.txt")));
    screenshot(*w, QStringLiteral("approval-diff-follows-edit.png"));
    QCOMPARE(w->height(), 800);
    w->chat()->stop();
}

void TestApprovalCard::theEditorValidatesEachFieldAsYouType()
{
    m_script->turns.push_back(
        toolTurn(QStringLiteral("toolu_1"), QStringLiteral("exec"),
                 {{QStringLiteral("command"), QStringLiteral("make test")}, {QStringLiteral("timeout_ms"), 1000}}));
    m_script->turns.push_back(textTurn(QStringLiteral("ok")));
    auto w = openWindow();
    w->chat()->send(QStringLiteral("run the tests"));
    ApprovalCard *card = w->chat()->approvalCard();
    QTRY_VERIFY_WITH_TIMEOUT(card->isVisible(), 10000);
    QTest::mouseClick(card->findChild<QPushButton *>(QStringLiteral("editArguments")), Qt::LeftButton);
    ArgumentEditor *editor = card->argumentEditor();
    auto *approveEdited = card->findChild<QPushButton *>(QStringLiteral("approveEdited"));
    QVERIFY(approveEdited->isEnabled());

    // The command is multi-line text; the timeout a number checked against its minimum.
    auto *command = qobject_cast<QPlainTextEdit *>(editor->fieldWidget(QStringLiteral("command")));
    QVERIFY(command);
    QCOMPARE(command->toPlainText(), QStringLiteral("make test"));
    auto *timeout = qobject_cast<QLineEdit *>(editor->fieldWidget(QStringLiteral("timeout_ms")));
    QVERIFY(timeout);
    QLabel *timeoutError = editor->fieldError(QStringLiteral("timeout_ms"));
    timeout->setFocus();
    timeout->selectAll();
    QTest::keyClicks(timeout, QStringLiteral("soon"));
    QVERIFY(timeoutError->isVisible());
    QVERIFY2(timeoutError->text().contains(QLatin1String("whole number")), qPrintable(timeoutError->text()));
    QVERIFY(!approveEdited->isEnabled());
    timeout->selectAll();
    QTest::keyClicks(timeout, QStringLiteral("0"));
    QVERIFY(timeoutError->isVisible()); // the schema's minimum is 1
    QVERIFY(!approveEdited->isEnabled());
    screenshot(*w, QStringLiteral("approval-editor-invalid.png"));
    QTest::keyClicks(timeout, QStringLiteral("5")); // "05" → 5
    QVERIFY(!timeoutError->isVisible());
    QVERIFY(approveEdited->isEnabled());

    // Raw JSON: the whole object as text, checked too.
    QTest::mouseClick(editor->findChild<QCheckBox *>(QStringLiteral("rawArgumentsToggle")), Qt::LeftButton);
    QVERIFY(editor->isRaw());
    QVERIFY2(editor->rawEditor()->toPlainText().contains(QLatin1String("\"timeout_ms\": 5")),
             qPrintable(editor->rawEditor()->toPlainText()));
    editor->rawEditor()->setPlainText(QStringLiteral("{\"command\": 3}"));
    QVERIFY(!approveEdited->isEnabled());
    editor->rawEditor()->setPlainText(QStringLiteral("{\"command\": \"make check\", \"timeout_ms\": 7}"));
    QVERIFY(approveEdited->isEnabled());

    QSignalSpy edited(card, &ApprovalCard::approvedEdited);
    QTest::mouseClick(approveEdited, Qt::LeftButton);
    QCOMPARE(edited.size(), 1);
    const QJsonObject input = edited.first().at(1).toJsonObject();
    QCOMPARE(input.value(QLatin1String("command")).toString(), QStringLiteral("make check"));
    QCOMPARE(input.value(QLatin1String("timeout_ms")).toInteger(), 7);
    QSignalSpy finished(w->chat(), &ChatPanel::runFinished);
    QVERIFY(finished.wait(10000));
}

void TestApprovalCard::alwaysIsRefusedWithItsReasonForAPipe()
{
    m_script->turns.push_back(toolTurn(QStringLiteral("toolu_1"), QStringLiteral("exec"),
                                       {{QStringLiteral("command"), QStringLiteral("ls | wc -l")}}));
    m_script->turns.push_back(textTurn(QStringLiteral("ok")));
    auto w = openWindow();
    w->chat()->send(QStringLiteral("count the files"));
    ApprovalCard *card = w->chat()->approvalCard();
    QTRY_VERIFY_WITH_TIMEOUT(card->isVisible(), 10000);
    auto *session = card->findChild<QPushButton *>(QStringLiteral("approveSession"));
    QVERIFY(!session->isEnabled());
    QVERIFY2(session->toolTip().contains(QLatin1String("Can't remember this")), qPrintable(session->toolTip()));
    QVERIFY(session->toolTip().contains(QLatin1String("pipe")));
    auto *note = card->findChild<QLabel *>(QStringLiteral("approvalRuleNote"));
    QVERIFY(note->isVisible());
    QVERIFY2(note->text().contains(QLatin1String("Can't remember this")) &&
                 note->text().contains(QLatin1String("not a simple command")),
             qPrintable(note->text()));
    screenshot(*w, QStringLiteral("approval-pipe-cannot-be-remembered.png"));
    QSignalSpy finished(w->chat(), &ChatPanel::runFinished);
    QTest::mouseClick(card->findChild<QPushButton *>(QStringLiteral("approveOnce")), Qt::LeftButton);
    QVERIFY(finished.wait(10000));
}

void TestApprovalCard::theBadgeLineSaysWhatIsKnown()
{
    ApprovalCard card;
    card.resize(900, 400);
    PendingApproval exec;
    exec.callId = QStringLiteral("a");
    exec.tool = QStringLiteral("exec");
    exec.source = QStringLiteral("builtin:microvm");
    exec.shellField = QStringLiteral("command");
    exec.input = {{QStringLiteral("command"), QStringLiteral("ls")}};
    exec.annotations.openWorld = false; // what the microVM says; destructive only by MCP's default
    card.showCall(exec, {});
    auto *kind = card.findChild<QLabel *>(QStringLiteral("approvalKind"));
    QCOMPARE(kind->text(), QStringLiteral("Runs a shell command in the VM."));
    QVERIFY(!card.findChildren<QLabel *>().isEmpty());
    const auto badgeText = [&card] {
        QString all;
        for (QLabel *l : card.findChildren<QLabel *>())
            if (l->text().contains(QLatin1String("background-color")))
                all += l->text();
        return all;
    };
    QVERIFY2(!badgeText().contains(QLatin1String("destructive")), qPrintable(badgeText()));

    exec.annotations.destructiveStated = true; // the tool said destructiveHint: true
    card.showCall(exec, {});
    QVERIFY(badgeText().contains(QLatin1String("destructive")));

    PendingApproval fetch;
    fetch.callId = QStringLiteral("b");
    fetch.tool = QStringLiteral("fetch");
    fetch.source = QStringLiteral("js:/tools/fetch.js");
    fetch.input = {{QStringLiteral("url"), QStringLiteral("https://example.com/page")}};
    fetch.annotations.readOnly = true;
    fetch.annotations.destructive = false;
    card.showCall(fetch, {});
    QVERIFY2(kind->text().contains(QLatin1String("Reaches the network: example.com.")), qPrintable(kind->text()));
    QVERIFY(kind->text().contains(QLatin1String("Read-only")));
    QVERIFY(card.targetsLabel()->text().contains(QLatin1String("https://example.com/page")));
}

void TestApprovalCard::factsTheToolGivesAreShown()
{
    ApprovalCard card;
    card.resize(900, 400);
    PendingApproval call;
    call.callId = QStringLiteral("m");
    call.tool = QStringLiteral("send_email");
    call.source = QStringLiteral("builtin:platform");
    call.facts = {QStringLiteral("From: agent@example.com"), QStringLiteral("Bcc: <hidden@example.com>"),
                  QStringLiteral("Attachment: out/report.pdf (1,024 bytes)")};
    card.showCall(call, {});
    auto *facts = card.findChild<QLabel *>(QStringLiteral("approvalFacts"));
    QVERIFY(facts);
    QVERIFY(!facts->isHidden());
    QVERIFY2(facts->text().contains(QLatin1String("agent@example.com")), qPrintable(facts->text()));
    // Shown as text, never as markup the tool wrote.
    QVERIFY(facts->text().contains(QLatin1String("&lt;hidden@example.com&gt;")));
    QVERIFY(facts->text().contains(QLatin1String("out/report.pdf (1,024 bytes)")));
    call.facts.clear();
    card.showCall(call, {});
    QVERIFY(facts->isHidden());
}

void TestApprovalCard::theNetworkLineNamesHostsAndCredentials()
{
    ApprovalCard card;
    card.resize(900, 400);
    PendingApproval call;
    call.callId = QStringLiteral("n");
    call.tool = QStringLiteral("invoices");
    call.source = QStringLiteral("js:/tools/invoices.js");
    card.showCall(call, {});
    auto *network = card.findChild<QLabel *>(QStringLiteral("approvalNetwork"));
    QVERIFY(network);
    QVERIFY2(network->text().contains(QLatin1String("Network: none, no credentials.")), qPrintable(network->text()));

    // From the project's policy (EgressPolicy::fromJsonText + summary), names only.
    auto policy = EgressPolicy::fromJsonText(
        R"({"egress": {"rules": [{"host": "*.github.com", "port": 443, "methods": ["GET"], "path": "/repos/",
                                  "decision": "allow"}]},
            "bindings": {"BILLING": {"type": "service", "url": "https://billing.example.internal",
                                     "inject": {"Authorization": "Bearer ${secret:BILLING_TOKEN}"}}}})",
        QStringLiteral("airlock.json"));
    QVERIFY2(policy.ok(), policy.ok() ? "" : qPrintable(policy.error().message));
    call.network = policy->summary();
    card.showCall(call, {});
    const QString text = network->text();
    QVERIFY2(text.contains(QLatin1String("github.com")), qPrintable(text));
    QVERIFY2(text.contains(QLatin1String("billing.example.internal")), qPrintable(text));
    QVERIFY2(text.contains(QLatin1String("BILLING_TOKEN")), qPrintable(text));
    QVERIFY(!text.contains(QLatin1String("Bearer"))); // the template's text is not shown, only names
    screenshot(card, QStringLiteral("approval-network.png"));
}

void TestApprovalCard::tryFirstShowsWhatTheCallWouldChange()
{
    m_writing = true;
    const QString file = m_dir.filePath(QStringLiteral("tried.txt"));
    {
        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("kept line\nold line\n");
    }
    m_script->turns.push_back(toolTurn(QStringLiteral("toolu_try"), QStringLiteral("write_file"),
                                       {{QStringLiteral("path"), QStringLiteral("tried.txt")},
                                        {QStringLiteral("content"), QStringLiteral("kept line\nnew line\n")}}));
    m_script->turns.push_back(textTurn(QStringLiteral("written")));
    auto w = openWindow();
    w->chat()->send(QStringLiteral("change it"));
    ApprovalCard *card = w->chat()->approvalCard();
    QTRY_VERIFY_WITH_TIMEOUT(card->isVisible() && card->callId() == QLatin1String("toolu_try"), 10000);
    QVERIFY(card->tryButton()->isVisible());
    QVERIFY(card->trialText().isEmpty());
    QTest::mouseClick(card->tryButton(), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(!card->trialText().isEmpty(), 10000);
    const QString trial = card->trialText();
    QVERIFY2(trial.contains(QLatin1String("-old line")) && trial.contains(QLatin1String("+new line")),
             qPrintable(trial));
    QVERIFY(trial.contains(QLatin1String("modified tried.txt")));
    QVERIFY(inside(card->trialView(), w.get()));
    screenshot(*w, QStringLiteral("approval-try-first.png"));
    {
        QFile f(file);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QCOMPARE(f.readAll(), QByteArray("kept line\nold line\n")); // the trial kept nothing
    }
    QVERIFY(card->isVisible()); // still the person's decision
    QTest::mouseClick(card->findChild<QPushButton *>(QStringLiteral("approveOnce")), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(!card->isVisible(), 10000);
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            QFile f(file);
            return f.open(QIODevice::ReadOnly) && f.readAll() == QByteArray("kept line\nnew line\n");
        }(),
        10000);
}

QTEST_MAIN(TestApprovalCard)
#include "tst_approval_card.moc"
