// `airlock vm exec` end to end: the real binary, a real VM per invocation.

#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

class TestVmCommand final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void streamsOutputAndExitsWithTheGuestStatus();
    void timeoutExits124AndUnknownCommand127();
    void badUsageExits2();

private:
    static int airlock(const QStringList &args, QByteArray *out = nullptr, QByteArray *err = nullptr,
                       const QByteArray &input = {});
};

int TestVmCommand::airlock(const QStringList &args, QByteArray *out, QByteArray *err, const QByteArray &input)
{
    QProcess p;
    p.start(QStringLiteral(AIRLOCK_BIN_DIR "/airlock"), args);
    if (!p.waitForStarted())
        return -1;
    p.write(input);
    p.closeWriteChannel();
    if (!p.waitForFinished(120000))
        return -2;
    if (out)
        *out = p.readAllStandardOutput();
    if (err)
        *err = p.readAllStandardError();
    return p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -3;
}

void TestVmCommand::streamsOutputAndExitsWithTheGuestStatus()
{
    QTemporaryDir ws;
    QFile f(ws.filePath(QStringLiteral("in.txt")));
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("from the host\n");
    f.close();
    QByteArray out, err;
    const int rc = airlock({QStringLiteral("vm"), QStringLiteral("exec"), QStringLiteral("--workspace"), ws.path(),
                            QStringLiteral("--stdin"), QStringLiteral("--"), QStringLiteral("sh"), QStringLiteral("-c"),
                            QStringLiteral("cat in.txt; cat; echo to-stderr >&2; echo made > out.txt; exit 7")},
                           &out, &err, "piped in\n");
    QCOMPARE(rc, 7);
    QCOMPARE(out, QByteArray("from the host\npiped in\n"));
    QCOMPARE(err, QByteArray("to-stderr\n"));
    QFile made(ws.filePath(QStringLiteral("out.txt")));
    QVERIFY(made.open(QIODevice::ReadOnly));
    QCOMPARE(made.readAll(), QByteArray("made\n"));
}

void TestVmCommand::timeoutExits124AndUnknownCommand127()
{
    QByteArray err;
    QCOMPARE(airlock({QStringLiteral("vm"), QStringLiteral("exec"), QStringLiteral("--timeout-ms"),
                      QStringLiteral("500"), QStringLiteral("--"), QStringLiteral("sleep"), QStringLiteral("30")},
                     nullptr, &err),
             124);
    QVERIFY2(err.contains("timed out"), err.constData());
    QCOMPARE(
        airlock({QStringLiteral("vm"), QStringLiteral("exec"), QStringLiteral("--"), QStringLiteral("no-such-command")},
                nullptr, &err),
        127);
    QVERIFY2(err.contains("No such file"), err.constData());
}

void TestVmCommand::badUsageExits2()
{
    QByteArray err;
    QCOMPARE(airlock({QStringLiteral("vm"), QStringLiteral("exec")}, nullptr, &err), 2);
    QVERIFY(err.contains("no command"));
    QCOMPARE(airlock({QStringLiteral("vm"), QStringLiteral("exec"), QStringLiteral("--workspace"),
                      QStringLiteral("/no/such/dir"), QStringLiteral("--"), QStringLiteral("true")},
                     nullptr, &err),
             2);
}

QTEST_GUILESS_MAIN(TestVmCommand)
#include "tst_vm_command.moc"
