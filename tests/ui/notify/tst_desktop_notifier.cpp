// The desktop notification for a waiting call, against a real notification daemon
// (dunst) on a private D-Bus bus (tests/support/with-notification-daemon.sh starts
// both, and Xvfb for dunst to draw on). What dunst received is read from its own
// hooks; its actions are invoked the way a person's click would be, through dunst.

#include "ui/notify/DesktopNotifier.h"

#include <QCoreApplication>
#include <QDBusConnection>
#include <QFile>
#include <QProcess>
#include <QSignalSpy>
#include <QTest>

using namespace airlock;

namespace {

QString dunstctl(const QStringList &args)
{
    QProcess p;
    p.start(QStringLiteral("dunstctl"), args);
    if (!p.waitForFinished(10000))
        qWarning("dunstctl %s did not finish", qPrintable(args.join(QLatin1Char(' '))));
    return QString::fromUtf8(p.readAllStandardOutput()).trimmed();
}

int displayed()
{
    return dunstctl({QStringLiteral("count"), QStringLiteral("displayed")}).toInt();
}

QString readAll(const QByteArray &envFile)
{
    QFile f(qEnvironmentVariable(envFile.constData()));
    return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()) : QString();
}

// The line dunst's hook wrote for notification `id` (the latest, if shown more than once).
QStringList recorded(uint id)
{
    QStringList last;
    for (const QString &line : readAll("AIRLOCK_NOTIFY_LOG").split(QLatin1Char('\n')))
        if (line.section(QLatin1Char('\t'), 0, 0) == QString::number(id))
            last = line.split(QLatin1Char('\t'));
    return last;
}

void pickInMenu(const QString &entry)
{
    QFile f(qEnvironmentVariable("AIRLOCK_NOTIFY_PICK"));
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    f.write(entry.toUtf8());
}

const QJsonObject kWrite{{QStringLiteral("path"), QStringLiteral("notes/today.md")},
                         {QStringLiteral("content"), QStringLiteral("# Today\n")}};

} // namespace

class TestDesktopNotifier final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init();
    void approveActionApprovesThatCall();
    void newerCallReplacesItAndOpenNamesIt();
    void settledCallClosesItsNotification();
    void settledBeforeShownIsClosedToo();
    void noServiceFallsBackToTheTray();
};

void TestDesktopNotifier::init()
{
    if (qEnvironmentVariableIsSet("AIRLOCK_NOTIFY_MISSING"))
        QSKIP(qPrintable(qEnvironmentVariable("AIRLOCK_NOTIFY_MISSING")));
    if (qEnvironmentVariableIsEmpty("AIRLOCK_EMPTY_BUS_ADDRESS"))
        QSKIP("run through tests/support/with-notification-daemon.sh (ctest does): it never uses your own bus");
    dunstctl({QStringLiteral("close-all")});
    QTRY_COMPARE(displayed(), 0);
}

void TestDesktopNotifier::approveActionApprovesThatCall()
{
    DesktopNotifier notifier;
    QSignalSpy shown(&notifier, &DesktopNotifier::shown);
    QSignalSpy approve(&notifier, &DesktopNotifier::approveRequested);
    QSignalSpy open(&notifier, &DesktopNotifier::openRequested);
    notifier.notifyWaiting(QStringLiteral("toolu_write_1"), QStringLiteral("write_file"), kWrite);
    QVERIFY(shown.wait(5000));
    const uint id = shown.first().first().toUInt();
    QCOMPARE(notifier.notificationId(), id);
    QTRY_VERIFY(!recorded(id).isEmpty());
    const QStringList got = recorded(id);
    QCOMPARE(got.value(1), QStringLiteral("Airlock"));
    QCOMPARE(got.value(2), QStringLiteral("Approval needed"));
    QCOMPARE(got.value(3), QStringLiteral("write_file (notes/today.md) waits for your decision."));
    QCOMPARE(displayed(), 1);

    // dunst's context menu lists the notification's actions; picking "Approve once"
    // is what a person's choice there does.
    pickInMenu(QStringLiteral("[%1,approve]").arg(id));
    dunstctl({QStringLiteral("context")});
    QVERIFY(approve.wait(5000));
    QCOMPARE(approve.count(), 1);
    QCOMPARE(approve.first().first().toString(), QStringLiteral("toolu_write_1"));
    QCOMPARE(open.count(), 0);
    const QString menu = readAll("AIRLOCK_NOTIFY_MENU_LOG");
    QVERIFY2(menu.contains(QStringLiteral("#Approve once (Approval needed) [%1,approve]").arg(id)), qPrintable(menu));
    QVERIFY2(menu.contains(QStringLiteral("#Open (Approval needed) [%1,default]").arg(id)), qPrintable(menu));
}

void TestDesktopNotifier::newerCallReplacesItAndOpenNamesIt()
{
    DesktopNotifier notifier;
    QSignalSpy shown(&notifier, &DesktopNotifier::shown);
    QSignalSpy approve(&notifier, &DesktopNotifier::approveRequested);
    QSignalSpy open(&notifier, &DesktopNotifier::openRequested);
    notifier.notifyWaiting(QStringLiteral("toolu_a"), QStringLiteral("write_file"), kWrite);
    QVERIFY(shown.wait(5000));
    const uint first = shown.first().first().toUInt();
    notifier.notifyWaiting(QStringLiteral("toolu_b"), QStringLiteral("exec"),
                           {{QStringLiteral("command"), QStringLiteral("make test")}});
    QVERIFY(shown.wait(5000));
    QCOMPARE(shown.at(1).first().toUInt(), first); // replaced, not a second one
    QCOMPARE(displayed(), 1);
    QTRY_COMPARE(recorded(first).value(3), QStringLiteral("exec (make test) waits for your decision."));
    QCOMPARE(notifier.callId(), QStringLiteral("toolu_b"));
    // Two calls asked before the server answered the first: still one notification, the latest.
    notifier.notifyWaiting(QStringLiteral("toolu_x"), QStringLiteral("write_file"), kWrite);
    notifier.notifyWaiting(QStringLiteral("toolu_y"), QStringLiteral("fetch"),
                           {{QStringLiteral("url"), QStringLiteral("https://example.test/a")}});
    QTRY_COMPARE(shown.count(), 4);
    QCOMPARE(shown.at(3).first().toUInt(), first);
    QCOMPARE(displayed(), 1);
    QTRY_COMPARE(recorded(first).value(3), QStringLiteral("fetch (https://example.test/a) waits for your decision."));
    QCOMPARE(notifier.callId(), QStringLiteral("toolu_y"));

    // A click on the notification is its default action: open the window at this call.
    dunstctl({QStringLiteral("action"), QStringLiteral("0")});
    QVERIFY(open.wait(5000));
    QCOMPARE(open.first().first().toString(), QStringLiteral("toolu_y"));
    QCOMPARE(approve.count(), 0);
}

void TestDesktopNotifier::settledCallClosesItsNotification()
{
    DesktopNotifier notifier;
    QSignalSpy shown(&notifier, &DesktopNotifier::shown);
    notifier.notifyWaiting(QStringLiteral("toolu_c"), QStringLiteral("write_file"), kWrite);
    QVERIFY(shown.wait(5000));
    const uint id = shown.first().first().toUInt();
    QCOMPARE(displayed(), 1);
    notifier.settle(QStringLiteral("toolu_other")); // another call: this one still waits
    QTest::qWait(200);
    QCOMPARE(displayed(), 1);
    notifier.settle(QStringLiteral("toolu_c"));
    QTRY_COMPARE(displayed(), 0);
    QVERIFY(notifier.callId().isEmpty());
    QCOMPARE(notifier.notificationId(), 0u);
    // dunst keeps closed notifications in its history: this one is there, closed.
    QTRY_VERIFY(dunstctl({QStringLiteral("history")}).contains(QStringLiteral("\"data\" : %1").arg(id)));
}

void TestDesktopNotifier::settledBeforeShownIsClosedToo()
{
    DesktopNotifier notifier;
    QSignalSpy shown(&notifier, &DesktopNotifier::shown);
    // Approved in the window while the notifier still asks what the server can do.
    notifier.notifyWaiting(QStringLiteral("toolu_d"), QStringLiteral("write_file"), kWrite);
    notifier.settle(QStringLiteral("toolu_d"));
    QTest::qWait(500);
    QCOMPARE(shown.count(), 0);
    QCOMPARE(displayed(), 0);
    // Approved while Notify itself has not answered: closed as soon as it has.
    notifier.notifyWaiting(QStringLiteral("toolu_e"), QStringLiteral("write_file"), kWrite);
    notifier.settle(QStringLiteral("toolu_e"));
    QVERIFY(shown.wait(5000));
    QTRY_COMPARE(displayed(), 0);
    QVERIFY(notifier.callId().isEmpty());
}

void TestDesktopNotifier::noServiceFallsBackToTheTray()
{
    const QDBusConnection empty = QDBusConnection::connectToBus(qEnvironmentVariable("AIRLOCK_EMPTY_BUS_ADDRESS"),
                                                                QStringLiteral("airlock-empty-bus"));
    QVERIFY(empty.isConnected());
    DesktopNotifier notifier(empty);
    QString summary, body;
    notifier.setFallback([&](const QString &s, const QString &b) {
        summary = s;
        body = b;
    });
    QSignalSpy fellBack(&notifier, &DesktopNotifier::fellBack);
    QSignalSpy shown(&notifier, &DesktopNotifier::shown);
    notifier.notifyWaiting(QStringLiteral("toolu_e"), QStringLiteral("write_file"), kWrite);
    QVERIFY(fellBack.wait(5000));
    QCOMPARE(shown.count(), 0);
    QCOMPARE(summary, QStringLiteral("Approval needed"));
    QCOMPARE(body, QStringLiteral("write_file (notes/today.md) waits for your decision."));
    QCOMPARE(displayed(), 0); // nothing reached the daemon on the other bus
    QDBusConnection::disconnectFromBus(QStringLiteral("airlock-empty-bus"));
}

QTEST_GUILESS_MAIN(TestDesktopNotifier)
#include "tst_desktop_notifier.moc"
