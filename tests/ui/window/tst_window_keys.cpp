// Every key README promises for the window works when pressed on the window:
// Ctrl+N (new session), Ctrl+, (Settings), Ctrl+Q (Quit, also in the Session menu),
// even where the desktop defines no Preferences or Quit key.

#include "ui/chat/ChatPanel.h"
#include "ui/settings/SettingsDialog.h"
#include "ui/window/MainWindow.h"

#include <QAction>
#include <QApplication>
#include <QMenu>
#include <QMenuBar>
#include <QStackedWidget>
#include <QTemporaryDir>
#include <QTest>

using namespace airlock;

class TestWindowKeys final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void ctrlCommaOpensSettings();
    void ctrlNStartsASession();
    void ctrlQQuitsFromTheSessionMenu();

private:
    QTemporaryDir m_dir;
};

namespace {

void showActive(MainWindow &w)
{
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    w.activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(&w));
}

} // namespace

void TestWindowKeys::initTestCase()
{
    QVERIFY(m_dir.isValid());
    // Quit saves the layout: into a settings file of this test's own.
    qputenv("XDG_CONFIG_HOME", m_dir.filePath(QStringLiteral("config")).toUtf8());
}

void TestWindowKeys::ctrlCommaOpensSettings()
{
    MainWindow w(m_dir.filePath(QStringLiteral("keys/airlock.db")));
    showActive(w);
    QVERIFY(!w.findChild<SettingsDialog *>());
    QTest::keyClick(&w, Qt::Key_Comma, Qt::ControlModifier);
    SettingsDialog *dialog = nullptr;
    QTRY_VERIFY((dialog = w.findChild<SettingsDialog *>()) && dialog->isVisible());
    dialog->reject();
}

void TestWindowKeys::ctrlNStartsASession()
{
    MainWindow w(m_dir.filePath(QStringLiteral("keys/airlock.db")));
    showActive(w);
    auto *area = w.findChild<QStackedWidget *>(QStringLiteral("chatArea"));
    QVERIFY(area->currentWidget() != w.chat()); // the empty state first
    QTest::keyClick(&w, Qt::Key_N, Qt::ControlModifier);
    QTRY_COMPARE(area->currentWidget(), static_cast<QWidget *>(w.chat()));
}

void TestWindowKeys::ctrlQQuitsFromTheSessionMenu()
{
    MainWindow w(m_dir.filePath(QStringLiteral("keys/airlock.db")));
    showActive(w);
    QAction *quit = nullptr;
    for (QAction *menu : w.menuBar()->actions())
        if (menu->menu())
            for (QAction *a : menu->menu()->actions())
                if (a->text().remove(QLatin1Char('&')) == QLatin1String("Quit"))
                    quit = a;
    QVERIFY2(quit, "a Quit item in the menus");
    QVERIFY(quit->shortcuts().contains(QKeySequence(Qt::CTRL | Qt::Key_Q)));
    QTest::keyClick(&w, Qt::Key_Q, Qt::ControlModifier);
    QTRY_VERIFY(!w.isVisible());
}

QTEST_MAIN(TestWindowKeys)
#include "tst_window_keys.moc"
