// "Undo this call" in the window: a call that wrote a workspace file, through the
// fake model server; its row's Undo link asks first, and on yes the file comes
// back, off the UI thread, and the row says the call was undone.

#include "core/agent/AgentSetup.h"
#include "core/sessions/TranscriptEntry.h"
#include "tests/core/providers/FakeModelServer.h"
#include "tests/support/AnthropicScript.h"
#include "ui/chat/ChatPanel.h"
#include "ui/chat/PromptEdit.h"
#include "ui/chat/TranscriptDelegate.h"
#include "ui/chat/TranscriptModel.h"
#include "ui/chat/TranscriptView.h"
#include "ui/chat/transcript/EntryHtml.h"
#include "ui/window/MainWindow.h"

#include <QAbstractButton>
#include <QDir>
#include <QFile>
#include <QMessageBox>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace airlock;
using airlock::test::AnthropicScript;
using airlock::test::FakeModelServer;
using airlock::test::FakeResponse;

namespace {

// A file tool of a sandbox that shares the workspace (as the microVM's write_file).
class WritingSandbox final : public Sandbox {
public:
    explicit WritingSandbox(QString root) : m_root(std::move(root)) {}
    QString kind() const override { return QStringLiteral("folder"); }
    bool sharesWorkspace() const override { return true; }
    Status prepare(const LogSink &) override { return {}; }
    Result<SandboxOutcome> run(const SandboxCall &call, const LogSink &) override
    {
        QFile f(QDir(m_root).filePath(call.input.value(QLatin1String("path")).toString()));
        if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
            return SandboxOutcome{false, {}, QStringLiteral("cannot write"), 1};
        f.write(call.input.value(QLatin1String("content")).toString().toUtf8());
        return SandboxOutcome{true, QStringLiteral("written"), {}, 1};
    }
    void cancel(const QString &) override {}
    void dispose() override {}

private:
    QString m_root;
};

QByteArray read(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray("<missing>");
}

} // namespace

class TestChatUndo final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void undoLinkAsksThenPutsTheFileBack();

private:
    QTemporaryDir m_dir;
};

void TestChatUndo::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QDir().mkpath(QStringLiteral(AIRLOCK_BINARY_DIR "/test-artifacts"));
}

void TestChatUndo::undoLinkAsksThenPutsTheFileBack()
{
    FakeModelServer server;
    const QString workspace = m_dir.filePath(QStringLiteral("workspace"));
    QVERIFY(QDir().mkpath(workspace));
    QFile notes(workspace + QStringLiteral("/notes.txt"));
    QVERIFY(notes.open(QIODevice::WriteOnly));
    notes.write("before\n");
    notes.close();
    server.enqueue(FakeResponse::sse(AnthropicScript()
                                         .toolUse(QStringLiteral("toolu_1"), QStringLiteral("write_file"),
                                                  {{QStringLiteral("path"), QStringLiteral("notes.txt")},
                                                   {QStringLiteral("content"), QStringLiteral("after\n")}})
                                         .end(QStringLiteral("tool_use"))));
    server.enqueue(
        FakeResponse::sse(AnthropicScript().text(QStringLiteral("Written.")).end(QStringLiteral("end_turn"))));

    const QString baseUrl = server.baseUrl();
    MainWindow w(m_dir.filePath(QStringLiteral("airlock.db")), [baseUrl, workspace]() -> Result<AgentSetup> {
        AgentSetup setup;
        setup.options.provider.kind = ProviderKind::Anthropic;
        setup.options.provider.baseUrl = baseUrl;
        setup.options.provider.model = QStringLiteral("claude-test");
        setup.options.provider.apiKey = QStringLiteral("sk-test");
        setup.options.provider.maxRetries = 0;
        setup.options.approval = AgentOptions::Approval::AutoApprove;
        setup.options.workspaceDir = workspace;
        setup.workspaceDir = workspace;
        setup.tools = {AgentTool::fromDescription({{QStringLiteral("name"), QStringLiteral("write_file")}},
                                                  std::make_shared<WritingSandbox>(workspace),
                                                  QStringLiteral("builtin"))};
        return setup;
    });
    w.resize(1280, 800);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    w.newSession();
    QSignalSpy finished(w.chat(), &ChatPanel::runFinished);
    PromptEdit *prompt = w.chat()->prompt();
    prompt->setFocus();
    QTest::keyClicks(prompt, QStringLiteral("change the notes"));
    QTest::keyClick(prompt, Qt::Key_Return);
    QVERIFY(finished.wait(30000));
    QCOMPARE(read(workspace + QStringLiteral("/notes.txt")), QByteArray("after\n"));

    TranscriptView *view = w.transcript();
    TranscriptModel *model = view->transcript();
    int row = -1;
    QTRY_VERIFY([&] {
        for (int r = 0; r < model->rowCount(); ++r)
            if (model->entry(r).callId == QLatin1String("toolu_1") && !model->entry(r).checkpoint.isEmpty())
                return (row = r) >= 0;
        return false;
    }());
    QTest::qWait(50);
    const QModelIndex index = model->index(row);
    view->scrollTo(index);
    QRectF at = view->transcriptDelegate()->anchorRect(index, view->visualRect(index), EntryHtml::undoHref());
    QVERIFY(!at.isEmpty());

    // Asked first: Cancel (the default) changes nothing.
    QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, at.center().toPoint());
    auto *box = w.findChild<QMessageBox *>(QStringLiteral("undoCallDialog"));
    QVERIFY(box);
    QVERIFY(box->text().contains(QLatin1String("before call toolu_1")));
    QCOMPARE(box->defaultButton(), box->button(QMessageBox::Cancel));
    box->button(QMessageBox::Cancel)->click();
    QTest::qWait(200);
    QCOMPARE(read(workspace + QStringLiteral("/notes.txt")), QByteArray("after\n"));

    QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, at.center().toPoint());
    box = w.findChild<QMessageBox *>(QStringLiteral("undoCallDialog"));
    QVERIFY(box);
    QSignalSpy undone(w.chat()->agent(), &AgentSession::undoFinished);
    for (QAbstractButton *b : box->buttons())
        if (box->buttonRole(b) == QMessageBox::DestructiveRole)
            b->click();
    QVERIFY(undone.wait(30000));
    QVERIFY2(undone.first().at(0).toBool(), qPrintable(undone.first().at(1).toString()));
    QCOMPARE(read(workspace + QStringLiteral("/notes.txt")), QByteArray("before\n"));
    QTRY_VERIFY(model->entry(row).undone);
    QTest::qWait(50);
    // No second undo of it is offered; the row and a notice say it was undone.
    at = view->transcriptDelegate()->anchorRect(index, view->visualRect(index), EntryHtml::undoHref());
    QVERIFY(at.isEmpty());
    bool notice = false;
    for (int r = 0; r < model->rowCount(); ++r)
        notice = notice || model->entry(r).noticeKind == TranscriptEntry::NoticeKind::Undone;
    QVERIFY(notice);
    QVERIFY(w.grab().save(QStringLiteral(AIRLOCK_BINARY_DIR "/test-artifacts/chat-undone.png")));
}

QTEST_MAIN(TestChatUndo)
#include "tst_chat_undo.moc"
