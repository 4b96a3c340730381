// "Read-only tools: ask | run without asking" in Settings: the policy's choice,
// visible, saved for the agents the window starts, and named by the decision.

#include "ui/settings/SettingsDialog.h"

#include "core/policy/PolicyEngine.h"

#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QTabWidget>
#include <QTest>

using namespace airlock;

class TestReadOnlyToolsSetting final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void theDefaultRunsReadOnlyToolsAndSaysSo();
    void askMakesAReadOnlyToolAskAndIsSaved();
};

namespace {
const QByteArray kReadOnlyCall =
    R"({"tool": "list_notes", "input": {}, "annotations": {"read_only": true, "destructive": false}})";
}

void TestReadOnlyToolsSetting::initTestCase()
{
    qunsetenv("DBUS_SESSION_BUS_ADDRESS");
    qputenv("AIRLOCK_KEYCHAIN_TIMEOUT_MS", "2000");
    QFile::remove(SettingsDialog::settingsPath());
    QDir().mkpath(QStringLiteral(AIRLOCK_BINARY_DIR "/test-artifacts"));
}

void TestReadOnlyToolsSetting::theDefaultRunsReadOnlyToolsAndSaysSo()
{
    SettingsDialog d;
    auto *choice = d.findChild<QComboBox *>(QStringLiteral("readOnlyTools"));
    QVERIFY(choice);
    QCOMPARE(choice->currentData().toString(), QStringLiteral("run"));
    auto decision = d.testCall(kReadOnlyCall);
    QVERIFY(decision.ok());
    QCOMPARE(decision->verdict, PolicyVerdict::Allow);
    QVERIFY2(decision->reason.contains(QLatin1String("read-only tools: run")), qPrintable(decision->reason));
    QCOMPARE(SettingsDialog::loadChoices().readOnlyTools, QString());
}

void TestReadOnlyToolsSetting::askMakesAReadOnlyToolAskAndIsSaved()
{
    {
        SettingsDialog d;
        d.show();
        QVERIFY(QTest::qWaitForWindowExposed(&d));
        d.findChild<QTabWidget *>()->setCurrentIndex(3); // Policy
        auto *choice = d.findChild<QComboBox *>(QStringLiteral("readOnlyTools"));
        QVERIFY(choice->isVisible());
        choice->setFocus();
        choice->setCurrentIndex(choice->findData(QStringLiteral("ask")));
        QCOMPARE(d.findChild<QLabel *>(QStringLiteral("policyStatus"))->text(),
                 QStringLiteral("No rules: every call asks."));
        d.findChild<QPlainTextEdit *>(QStringLiteral("testCall"))->setPlainText(QString::fromUtf8(kReadOnlyCall));
        QTest::mouseClick(d.findChild<QPushButton *>(QStringLiteral("testRule")), Qt::LeftButton);
        const QString shown = d.findChild<QLabel *>(QStringLiteral("ruleDecision"))->text();
        QVERIFY2(shown.startsWith(QStringLiteral("→ ask, by rule default:read-only-ask")) &&
                     shown.contains(QLatin1String("read-only tools: ask")),
                 qPrintable(shown));
        QTest::qWait(50);
        QVERIFY(d.grab().save(QStringLiteral(AIRLOCK_BINARY_DIR "/test-artifacts/settings-read-only-ask.png")));
        QVERIFY(d.save());
    }
    // What the window's agents are built from.
    QCOMPARE(SettingsDialog::loadChoices().readOnlyTools, QStringLiteral("ask"));
    SettingsDialog again;
    QCOMPARE(again.findChild<QComboBox *>(QStringLiteral("readOnlyTools"))->currentData().toString(),
             QStringLiteral("ask"));
    QFile::remove(SettingsDialog::settingsPath());
}

QTEST_MAIN(TestReadOnlyToolsSetting)
#include "tst_read_only_tools_setting.moc"
