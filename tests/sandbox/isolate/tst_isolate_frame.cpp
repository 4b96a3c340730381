// The helper wire (sandbox/isolate/Frame) over a socketpair: JSON header and raw
// body on the shared framing, its own bounds, and the errors read() reports.

#include "sandbox/isolate/Frame.h"

#include <QJsonObject>
#include <QTest>

#include <sys/socket.h>
#include <unistd.h>

using namespace airlock;

class TestIsolateFrame final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init();
    void cleanup();
    void roundTripsHeaderAndBody();
    void endOfStreamIsNotFound();
    void badMagicIsCorrupt();
    void oversizedPrefixIsCorrupt();
    void cutMidFrameIsIo();
    void writeRefusesOverTheBounds();

private:
    int m_fds[2] = {-1, -1};
};

void TestIsolateFrame::init()
{
    QCOMPARE(::socketpair(AF_UNIX, SOCK_STREAM, 0, m_fds), 0);
}

void TestIsolateFrame::cleanup()
{
    for (int &fd : m_fds) {
        if (fd >= 0)
            ::close(fd);
        fd = -1;
    }
}

void TestIsolateFrame::roundTripsHeaderAndBody()
{
    const Frame sent{QJsonObject{{"type", "run"}, {"id", 7}}, QByteArray("bin\0ary", 7)};
    const QByteArray bytes = frame::encode(sent);
    QVERIFY(bytes.startsWith("ALF1"));
    QVERIFY(frame::write(m_fds[0], sent).ok());
    QVERIFY(frame::write(m_fds[0], Frame{QJsonObject{{"type", "cancel"}}, {}}).ok());
    Result<Frame> got = frame::read(m_fds[1]);
    QVERIFY(got.ok());
    QCOMPARE(got.value().header, sent.header);
    QCOMPARE(got.value().body, sent.body);
    Result<Frame> second = frame::read(m_fds[1]);
    QVERIFY(second.ok());
    QCOMPARE(second.value().header.value("type").toString(), QStringLiteral("cancel"));
    QVERIFY(second.value().body.isEmpty());
}

void TestIsolateFrame::endOfStreamIsNotFound()
{
    ::close(m_fds[0]);
    m_fds[0] = -1;
    Result<Frame> got = frame::read(m_fds[1]);
    QVERIFY(!got.ok());
    QCOMPARE(got.error().code, Error::Code::NotFound);
}

void TestIsolateFrame::badMagicIsCorrupt()
{
    // The old unprefixed format (two bare lengths) is refused, not misread.
    const char old[] = {0, 0, 0, 2, 0, 0, 0, 0, '{', '}', 0, 0};
    QCOMPARE(::write(m_fds[0], old, sizeof old), ssize_t(sizeof old));
    Result<Frame> got = frame::read(m_fds[1]);
    QVERIFY(!got.ok());
    QCOMPARE(got.error().code, Error::Code::Corrupt);
    QVERIFY2(got.error().message.contains(QLatin1String("bad magic")), qPrintable(got.error().message));
}

void TestIsolateFrame::oversizedPrefixIsCorrupt()
{
    // A body one byte over 64 MiB: refused from the prefix, nothing allocated.
    const char prefix[] = {'A', 'L', 'F', '1', 0, 0, 0, 2, 0x04, 0, 0, 1};
    QCOMPARE(::write(m_fds[0], prefix, sizeof prefix), ssize_t(sizeof prefix));
    Result<Frame> got = frame::read(m_fds[1]);
    QVERIFY(!got.ok());
    QCOMPARE(got.error().code, Error::Code::Corrupt);
    QVERIFY2(got.error().message.contains(QLatin1String("payload size")), qPrintable(got.error().message));
}

void TestIsolateFrame::cutMidFrameIsIo()
{
    const QByteArray bytes = frame::encode(Frame{QJsonObject{{"type", "log"}}, QByteArray("line")});
    QCOMPARE(::write(m_fds[0], bytes.constData(), size_t(bytes.size() - 2)), ssize_t(bytes.size() - 2));
    ::close(m_fds[0]);
    m_fds[0] = -1;
    Result<Frame> got = frame::read(m_fds[1]);
    QVERIFY(!got.ok());
    QCOMPARE(got.error().code, Error::Code::Io);
}

void TestIsolateFrame::writeRefusesOverTheBounds()
{
    const Frame huge{QJsonObject{{"type", "result"}}, QByteArray(qsizetype(frame::kMaxBodyBytes) + 1, 'x')};
    QVERIFY(frame::encode(huge).isEmpty());
    QVERIFY(!frame::write(m_fds[0], huge).ok());
}

QTEST_GUILESS_MAIN(TestIsolateFrame)
#include "tst_isolate_frame.moc"
