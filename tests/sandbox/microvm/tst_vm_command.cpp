// `airlock vm exec` and `airlock vm forward` end to end: the real binary, a real VM
// per invocation.

#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

class TestVmCommand final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void streamsOutputAndExitsWithTheGuestStatus();
    void timeoutExits124AndUnknownCommand127();
    void badUsageExits2();
    void forwardServesAGuestServerUntilInterrupted();

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
    QCOMPARE(airlock({QStringLiteral("vm"), QStringLiteral("forward"), QStringLiteral("--"), QStringLiteral("true")},
                     nullptr, &err),
             2);
    QVERIFY(err.contains("name a guest port"));
    QCOMPARE(airlock({QStringLiteral("vm"), QStringLiteral("forward"), QStringLiteral("80:"), QStringLiteral("--"),
                      QStringLiteral("true")},
                     nullptr, &err),
             2);
    QVERIFY(err.contains("PORT:HOSTPORT"));
}

void TestVmCommand::forwardServesAGuestServerUntilInterrupted()
{
    QTemporaryDir ws;
    QFile page(ws.filePath(QStringLiteral("index.html")));
    QVERIFY(page.open(QIODevice::WriteOnly));
    page.write("<p>from the guest's httpd</p>\n");
    page.close();
    QProcess p;
    p.start(QStringLiteral(AIRLOCK_BIN_DIR "/airlock"),
            {QStringLiteral("vm"), QStringLiteral("forward"), QStringLiteral("--workspace"), ws.path(),
             QStringLiteral("8000"), QStringLiteral("--"), QStringLiteral("busybox"), QStringLiteral("httpd"),
             QStringLiteral("-f"), QStringLiteral("-p"), QStringLiteral("8000"), QStringLiteral("-h"),
             QStringLiteral("/workspace")});
    QVERIFY(p.waitForStarted());
    QByteArray out;
    while (!out.contains('\n') && p.waitForReadyRead(120000))
        out += p.readAllStandardOutput();
    const QRegularExpressionMatch m =
        QRegularExpression(QStringLiteral("^forwarding 127\\.0\\.0\\.1:(\\d+) -> guest:8000\n"))
            .match(QString::fromUtf8(out));
    QVERIFY2(m.hasMatch(), out.constData());
    const QString url = QStringLiteral("http://127.0.0.1:%1/index.html").arg(m.captured(1));
    // The server may still be starting: a refused connection is closed, so ask again.
    QByteArray body;
    for (int i = 0; i < 120 && !body.contains("from the guest's httpd"); ++i) {
        QProcess curl;
        curl.start(QStringLiteral("curl"),
                   {QStringLiteral("-s"), QStringLiteral("--noproxy"), QStringLiteral("*"), url});
        curl.waitForFinished(60000);
        body = curl.readAllStandardOutput();
        if (!body.contains("from the guest's httpd"))
            QTest::qWait(500);
    }
    QVERIFY2(body.contains("from the guest's httpd"), body.constData());
    // Ctrl-C: the VM goes, the forward with it, and the command exits 0.
    p.terminate();
    QVERIFY(p.waitForFinished(120000));
    QCOMPARE(p.exitStatus(), QProcess::NormalExit);
    QCOMPARE(p.exitCode(), 0);
    QProcess after;
    after.start(QStringLiteral("curl"), {QStringLiteral("-s"), QStringLiteral("--noproxy"), QStringLiteral("*"), url});
    after.waitForFinished(60000);
    QCOMPARE(after.exitCode(), 7); // could not connect: nothing listens any more
}

QTEST_GUILESS_MAIN(TestVmCommand)
#include "tst_vm_command.moc"
