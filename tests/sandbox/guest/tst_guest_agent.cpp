// The guest agent on the host, over --stdio: the same binary the VM runs, driven
// through the frame protocol without a VM (fast; the integration test covers the VM).

#include "sandbox/guest/protocol/Frame.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using airlock::wire::encodeFrame;
using airlock::wire::Frame;
using airlock::wire::FrameDecoder;
using airlock::wire::Json;

class TestGuestAgent final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init();
    void cleanup();
    void helloReportsVersion();
    void execStreamsOutputAndExitCode();
    void execPassesStdinEnvAndCwd();
    void execOfAMissingProgramIsAnError();
    void timeoutKillsTheWholeProcessGroup();
    void cancelKillsTheCommand();
    void fileOperations();
    void malformedFrameClosesTheChannel();
    void nonRegularFilesAreRefusedWithoutBlocking();
    void readsAreBoundedToOneFrame();
    void listingsArePagedSortedAndAlwaysUtf8();
    void trustCaWritesTheBundlesAndCommandsGetThem();

private:
    void send(const Json &h, const std::string &payload = {});
    Frame receive(int timeoutMs = 10000);
    std::vector<Frame> untilExit(std::int64_t id, std::string *out = nullptr, std::string *err = nullptr);

    QProcess *m_agent = nullptr;
    FrameDecoder m_decoder;
    QTemporaryDir m_dir;
};

void TestGuestAgent::init()
{
    m_decoder.reset();
    m_agent = new QProcess(this);
    m_agent->setProcessChannelMode(QProcess::SeparateChannels);
    m_agent->setReadChannel(QProcess::StandardOutput);
    // trust_ca writes under a scratch root here, never the host's /run or /etc.
    m_agent->start(
        QStringLiteral(AIRLOCK_BIN_DIR "/airlock-agent"),
        {QStringLiteral("--stdio"), QStringLiteral("--trust-root"), m_dir.filePath(QStringLiteral("trust"))});
    QVERIFY(m_agent->waitForStarted());
}

void TestGuestAgent::cleanup()
{
    m_agent->closeWriteChannel();
    if (!m_agent->waitForFinished(3000))
        m_agent->kill();
    delete m_agent;
    m_agent = nullptr;
}

void TestGuestAgent::send(const Json &h, const std::string &payload)
{
    const std::optional<std::string> bytes = encodeFrame(h, payload);
    QVERIFY(bytes);
    m_agent->write(bytes->data(), qint64(bytes->size()));
    m_agent->waitForBytesWritten();
}

Frame TestGuestAgent::receive(int timeoutMs)
{
    QElapsedTimer t;
    t.start();
    while (true) {
        if (std::optional<Frame> f = m_decoder.next())
            return *f;
        if (t.elapsed() > timeoutMs || m_decoder.failed()) {
            Frame none;
            none.header.set("op", "timeout");
            return none;
        }
        if (m_agent->bytesAvailable() == 0)
            m_agent->waitForReadyRead(100);
        const QByteArray b = m_agent->readAll();
        m_decoder.feed(std::string_view(b.constData(), size_t(b.size())));
    }
}

std::vector<Frame> TestGuestAgent::untilExit(std::int64_t id, std::string *out, std::string *err)
{
    std::vector<Frame> frames;
    while (true) {
        Frame f = receive();
        frames.push_back(f);
        if (f.id() == id && f.op() == "stdout" && out)
            *out += f.payload;
        if (f.id() == id && f.op() == "stderr" && err)
            *err += f.payload;
        if ((f.id() == id && (f.op() == "exit" || f.op() == "error")) || f.op() == "timeout")
            return frames;
    }
}

namespace {
Json req(const char *op, int id)
{
    Json h;
    h.set("op", op).set("id", id);
    return h;
}
Json argv(std::initializer_list<const char *> args)
{
    Json::Array a;
    for (const char *s : args)
        a.emplace_back(s);
    return Json(std::move(a));
}
} // namespace

void TestGuestAgent::helloReportsVersion()
{
    send(req("hello", 1));
    const Frame f = receive();
    QCOMPARE(f.op(), std::string("hello"));
    QCOMPARE(f.id(), 1);
    QCOMPARE(f.header["version"].toInt(), std::int64_t(airlock::wire::kProtocolVersion));
    bool trustCa = false;
    for (const Json &op : f.header["ops"].toArray())
        trustCa = trustCa || op.toString() == "trust_ca";
    QVERIFY(trustCa);
}

void TestGuestAgent::execStreamsOutputAndExitCode()
{
    Json h = req("exec", 2);
    h.set("argv", argv({"/bin/sh", "-c", "echo one; sleep 0.3; echo two >&2; exit 7"})).set("cwd", "/");
    send(h);
    QCOMPARE(receive().op(), std::string("started"));
    // "one" arrives before the command ends: streamed, not buffered to the end.
    QElapsedTimer t;
    t.start();
    const Frame first = receive();
    QCOMPARE(first.op(), std::string("stdout"));
    QCOMPARE(first.payload, std::string("one\n"));
    QVERIFY(t.elapsed() < 250);
    std::string err;
    const std::vector<Frame> rest = untilExit(2, nullptr, &err);
    QCOMPARE(err, std::string("two\n"));
    const Frame &exit = rest.back();
    QCOMPARE(exit.op(), std::string("exit"));
    QCOMPARE(exit.header["code"].toInt(), 7);
    QVERIFY(!exit.header["timed_out"].toBool());
}

void TestGuestAgent::execPassesStdinEnvAndCwd()
{
    Json h = req("exec", 3);
    Json env;
    env.set("GREETING", "hej");
    h.set("argv", argv({"/bin/sh", "-c", "read x; echo \"$GREETING $x $(pwd)\""}))
        .set("env", env)
        .set("cwd", m_dir.path().toStdString());
    send(h, "world\n");
    std::string out;
    const std::vector<Frame> frames = untilExit(3, &out);
    QCOMPARE(frames.back().header["code"].toInt(), 0);
    QCOMPARE(QString::fromStdString(out), QStringLiteral("hej world %1\n").arg(m_dir.path()));
}

void TestGuestAgent::execOfAMissingProgramIsAnError()
{
    Json h = req("exec", 4);
    h.set("argv", argv({"no-such-program-xyz"})).set("cwd", "/");
    send(h);
    const Frame f = receive();
    QCOMPARE(f.op(), std::string("error"));
    QVERIFY2(f.header["message"].toString().find("No such file") != std::string::npos,
             f.header["message"].toString().c_str());
    Json c = req("exec", 5);
    c.set("argv", argv({"/bin/true"})).set("cwd", "/no/such/dir");
    send(c);
    QCOMPARE(receive().op(), std::string("error"));
}

void TestGuestAgent::timeoutKillsTheWholeProcessGroup()
{
    const QString marker = m_dir.filePath(QStringLiteral("survivor"));
    Json h = req("exec", 6);
    // A background child in the same group must die too: it would write the marker.
    const std::string script = "(sleep 1; touch '" + marker.toStdString() + "') & sleep 30";
    h.set("argv", argv({"/bin/sh", "-c", script.c_str()})).set("timeout_ms", 300).set("cwd", "/");
    QElapsedTimer t;
    t.start();
    send(h);
    const std::vector<Frame> frames = untilExit(6);
    QVERIFY(t.elapsed() < 5000);
    QCOMPARE(frames.back().op(), std::string("exit"));
    QVERIFY(frames.back().header["timed_out"].toBool());
    QCOMPARE(frames.back().header["signal"].toInt(), 9);
    QTest::qWait(1500);
    QVERIFY(!QFile::exists(marker));
    // The agent still serves.
    send(req("hello", 7));
    QCOMPARE(receive().op(), std::string("hello"));
}

void TestGuestAgent::cancelKillsTheCommand()
{
    Json h = req("exec", 8);
    h.set("argv", argv({"/bin/sleep", "30"})).set("cwd", "/");
    send(h);
    QCOMPARE(receive().op(), std::string("started"));
    Json c = req("cancel", 9);
    c.set("target", 8);
    send(c);
    bool sawOk = false, sawExit = false;
    for (int i = 0; i < 2; ++i) {
        const Frame f = receive();
        if (f.op() == "ok" && f.id() == 9)
            sawOk = f.header["found"].toBool();
        if (f.op() == "exit" && f.id() == 8)
            sawExit = f.header["cancelled"].toBool();
    }
    QVERIFY(sawOk);
    QVERIFY(sawExit);
}

void TestGuestAgent::fileOperations()
{
    const std::string path = m_dir.filePath(QStringLiteral("sub/dir/file.txt")).toStdString();
    Json w = req("write_file", 10);
    w.set("path", path);
    send(w, "hello\n");
    QCOMPARE(receive().op(), std::string("ok"));
    Json a = req("write_file", 11);
    a.set("path", path).set("append", true);
    send(a, "again\n");
    QCOMPARE(receive().op(), std::string("ok"));
    QFile f(QString::fromStdString(path));
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(f.readAll(), QByteArray("hello\nagain\n"));

    Json r = req("read_file", 12);
    r.set("path", path);
    send(r);
    Frame rf = receive();
    QCOMPARE(rf.op(), std::string("file"));
    QCOMPARE(rf.payload, std::string("hello\nagain\n"));
    QVERIFY(rf.header["eof"].toBool());

    Json s = req("stat", 13);
    s.set("path", path);
    send(s);
    Frame sf = receive();
    QCOMPARE(sf.header["type"].toString(), std::string("file"));
    QCOMPARE(sf.header["size"].toInt(), 12);

    Json l = req("list", 14);
    l.set("path", m_dir.filePath(QStringLiteral("sub/dir")).toStdString());
    send(l);
    Frame lf = receive();
    QCOMPARE(lf.op(), std::string("list"));
    const std::optional<Json> entries = Json::parse(lf.payload);
    QVERIFY(entries && entries->toArray().size() == 1);
    QCOMPARE(entries->toArray()[0]["name"].toString(), std::string("file.txt"));

    Json rm = req("remove", 15);
    rm.set("path", m_dir.filePath(QStringLiteral("sub")).toStdString()).set("recursive", true);
    send(rm);
    QCOMPARE(receive().op(), std::string("ok"));
    QVERIFY(!QDir(m_dir.filePath(QStringLiteral("sub"))).exists());

    Json missing = req("read_file", 16);
    missing.set("path", path);
    send(missing);
    const Frame mf = receive();
    QCOMPARE(mf.op(), std::string("error"));
    QVERIFY(mf.header["message"].toString().find("No such file") != std::string::npos);
}

void TestGuestAgent::malformedFrameClosesTheChannel()
{
    m_agent->write("definitely not a frame");
    const Frame f = receive();
    QCOMPARE(f.op(), std::string("fatal"));
    QVERIFY2(f.header["message"].toString().find("malformed frame") != std::string::npos,
             f.header["message"].toString().c_str());
    QVERIFY(m_agent->waitForFinished(3000));
    QCOMPARE(m_agent->exitCode(), 2);
    QVERIFY(m_agent->readAllStandardError().contains("closing the channel"));
}

void TestGuestAgent::nonRegularFilesAreRefusedWithoutBlocking()
{
    const QByteArray fifo = QFile::encodeName(m_dir.filePath(QStringLiteral("a.fifo")));
    QCOMPARE(::mkfifo(fifo.constData(), 0644), 0);
    const QByteArray link = QFile::encodeName(m_dir.filePath(QStringLiteral("null.link")));
    QCOMPARE(::symlink("/dev/null", link.constData()), 0);
    int id = 20;
    for (const QByteArray &p : {fifo, link, QByteArray("/dev/zero")}) {
        Json r = req("read_file", ++id);
        r.set("path", p.toStdString());
        send(r);
        const Frame f = receive(5000);
        QCOMPARE(f.op(), std::string("error"));
        QVERIFY2(f.header["message"].toString().find("not a regular file") != std::string::npos,
                 f.header["message"].toString().c_str());
    }
    // Writing into a FIFO with no reader would block as well.
    Json w = req("write_file", ++id);
    w.set("path", fifo.toStdString());
    send(w, "x");
    const Frame wf = receive(5000);
    QCOMPARE(wf.op(), std::string("error"));
    QVERIFY2(wf.header["message"].toString().find("not a regular file") != std::string::npos,
             wf.header["message"].toString().c_str());
    // And the agent still answers.
    send(req("hello", ++id));
    QCOMPARE(receive().op(), std::string("hello"));
}

void TestGuestAgent::readsAreBoundedToOneFrame()
{
    const QString path = m_dir.filePath(QStringLiteral("sparse"));
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    QVERIFY(f.resize(std::int64_t(3) << 30)); // 3 GiB, sparse
    f.close();
    Json r = req("read_file", 30);
    r.set("path", path.toStdString()).set("offset", 5).set("length", std::int64_t(1) << 40);
    send(r);
    const Frame rf = receive();
    QCOMPARE(rf.op(), std::string("file"));
    QCOMPARE(rf.payload.size(), airlock::wire::kMaxPayload);
    QCOMPARE(rf.header["size"].toInt(), std::int64_t(3) << 30);
    QVERIFY(!rf.header["eof"].toBool(true));
    // Past the end: nothing, and eof.
    Json past = req("read_file", 31);
    past.set("path", path.toStdString()).set("offset", std::int64_t(4) << 30);
    send(past);
    const Frame pf = receive();
    QCOMPARE(pf.payload.size(), size_t(0));
    QVERIFY(pf.header["eof"].toBool());
}

void TestGuestAgent::listingsArePagedSortedAndAlwaysUtf8()
{
    const QByteArray dir = QFile::encodeName(m_dir.filePath(QStringLiteral("list")));
    QCOMPARE(::mkdir(dir.constData(), 0755), 0);
    for (int i = 2999; i >= 0; --i) {
        const QByteArray p = dir + "/n" + QByteArray::number(i).rightJustified(4, '0');
        ::close(::open(p.constData(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
    }
    ::close(::open(QByteArray(dir + "/z\xff").constData(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
    Json l = req("list", 40);
    l.set("path", dir.toStdString()).set("limit", 100000);
    send(l);
    Frame first = receive();
    QCOMPARE(first.op(), std::string("list"));
    QCOMPARE(first.header["total"].toInt(), 3001);
    QCOMPARE(first.header["count"].toInt(), 1000); // never more than 1000 a page
    QVERIFY(first.header["truncated"].toBool());
    std::optional<Json> page = Json::parse(first.payload);
    QVERIFY(page);
    QCOMPARE(page->toArray().front()["name"].toString(), std::string("n0000"));
    QCOMPARE(page->toArray().back()["name"].toString(), std::string("n0999"));

    Json last = req("list", 41);
    last.set("path", dir.toStdString()).set("offset", 2999);
    send(last);
    const Frame lf = receive();
    page = Json::parse(lf.payload);
    QVERIFY(page);
    QCOMPARE(page->toArray().size(), size_t(2));
    QCOMPARE(page->toArray()[1]["name"].toString(), std::string("z\\xff"));
    QVERIFY(page->toArray()[1]["name_not_utf8"].toBool());
    QVERIFY(!lf.header["truncated"].toBool(true));
    // The payload is valid UTF-8 JSON for Qt too.
    QVERIFY(!QJsonDocument::fromJson(QByteArray::fromStdString(lf.payload)).isNull());
    // The escaped name reaches the file.
    Json st = req("stat", 42);
    st.set("path", QByteArray(dir + "/z\\xff").toStdString());
    send(st);
    QCOMPARE(receive().op(), std::string("stat"));
    ::unlink(QByteArray(dir + "/z\xff").constData()); // QDir cannot name it to clean up
}

namespace {
QByteArray readAll(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray("<missing>");
}
} // namespace

void TestGuestAgent::trustCaWritesTheBundlesAndCommandsGetThem()
{
    const QString root = m_dir.filePath(QStringLiteral("trust"));
    QVERIFY(QDir().mkpath(root + QStringLiteral("/etc/ssl/certs")));
    QVERIFY(QDir().mkpath(root + QStringLiteral("/usr/local/share/ca-certificates")));
    // A system bundle that still holds an earlier boot's session CA.
    const QByteArray system = "SYSTEM ROOTS\n";
    {
        QFile f(root + QStringLiteral("/etc/ssl/certs/ca-certificates.crt"));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(system + "# airlock session CA (replaced at each boot)\nOLD\n# end of airlock session CA\n");
    }
    const std::string pem = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n";
    const QByteArray block = "# airlock session CA (replaced at each boot)\n" + QByteArray::fromStdString(pem) +
                             "# end of airlock session CA\n";

    // Not a certificate: refused, nothing trusted.
    Json bad = req("trust_ca", 60);
    send(bad, "not a certificate");
    Frame f = receive();
    QCOMPARE(f.op(), std::string("error"));

    for (int round = 0; round < 2; ++round) { // a second boot's CA replaces the first
        Json h = req("trust_ca", 61 + round);
        h.set("hash", "0a1b2c3d");
        send(h, pem);
        f = receive();
        QCOMPARE(f.op(), std::string("ok"));
        QVERIFY(f.header["system"].toBool());
        const QString bundle = QString::fromStdString(f.header["bundle"].toString());
        const QString ca = QString::fromStdString(f.header["ca"].toString());
        QCOMPARE(bundle, root + QStringLiteral("/run/airlock/ca-bundle.pem"));
        QCOMPARE(ca, root + QStringLiteral("/run/airlock/ca.pem"));
        QCOMPARE(readAll(ca), QByteArray::fromStdString(pem));
        QCOMPARE(readAll(bundle), system + block);
        QCOMPARE(readAll(root + QStringLiteral("/etc/ssl/certs/ca-certificates.crt")), system + block);
    }
    QCOMPARE(QFileInfo(root + QStringLiteral("/etc/ssl/certs/0a1b2c3d.0")).symLinkTarget(),
             root + QStringLiteral("/etc/ssl/certs/airlock-session-ca.pem"));
    QCOMPARE(readAll(root + QStringLiteral("/etc/ssl/certs/0a1b2c3d.0")), QByteArray::fromStdString(pem));
    QCOMPARE(readAll(root + QStringLiteral("/usr/local/share/ca-certificates/airlock-session-ca.crt")),
             QByteArray::fromStdString(pem));

    // Every command from now on trusts it; the caller's env still wins.
    Json h = req("exec", 70);
    Json env;
    env.set("PIP_CERT", "/mine.pem");
    h.set("argv", argv({"/bin/sh", "-c",
                        "echo $SSL_CERT_FILE $REQUESTS_CA_BUNDLE $CURL_CA_BUNDLE $GIT_SSL_CAINFO "
                        "$NODE_EXTRA_CA_CERTS $PIP_CERT"}))
        .set("env", env)
        .set("cwd", "/");
    send(h);
    std::string out;
    untilExit(70, &out);
    const QString b = root + QStringLiteral("/run/airlock/ca-bundle.pem");
    QCOMPARE(QString::fromStdString(out),
             QStringList({b, b, b, b, root + QStringLiteral("/run/airlock/ca.pem"), QStringLiteral("/mine.pem")})
                     .join(u' ') +
                 u'\n');
}

QTEST_GUILESS_MAIN(TestGuestAgent)
#include "tst_guest_agent.moc"
