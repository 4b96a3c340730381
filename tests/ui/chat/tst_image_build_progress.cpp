// The guest image build's progress above the prompt: shown from the first "image"
// line the microVM sandbox reports ("N% step"), following each step, gone when the
// build is done or the call that waited for it has its answer.

#include "core/events/Event.h"
#include "ui/chat/ImageBuildProgress.h"

#include "tests/support/RecordedEvents.h"

#include <QTest>

using namespace airlock;
using namespace airlock::test;

namespace {

Event logLine(const QString &stream, const QString &text)
{
    return recorded("exec.log", {{QStringLiteral("call_id"), QStringLiteral("toolu_1")},
                                 {QStringLiteral("stream"), stream},
                                 {QStringLiteral("text"), text}});
}

} // namespace

class TestImageBuildProgress final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void followsTheBuildAndEndsWithIt();
    void endsWithTheCallThatWaited();
};

void TestImageBuildProgress::followsTheBuildAndEndsWithIt()
{
    ImageBuildProgress bar;
    QVERIFY(bar.isHidden());
    bar.apply(logLine(QStringLiteral("stdout"), QStringLiteral("42% of nothing"))); // not the image's
    QVERIFY(bar.isHidden());
    bar.apply(logLine(QStringLiteral("vm"), QStringLiteral("building the Debian guest image (3 packages; …)")));
    QVERIFY(bar.isHidden());
    bar.apply(logLine(QStringLiteral("image"), QStringLiteral("5% resolving packages")));
    QVERIFY(!bar.isHidden());
    QCOMPARE(bar.percent(), 5);
    QCOMPARE(bar.step(), QStringLiteral("resolving packages"));
    bar.apply(logLine(QStringLiteral("image"), QStringLiteral("not a progress line")));
    QCOMPARE(bar.percent(), 5);
    bar.apply(logLine(QStringLiteral("image"), QStringLiteral("64% unpacking nodejs")));
    QCOMPARE(bar.percent(), 64);
    QCOMPARE(bar.step(), QStringLiteral("unpacking nodejs"));
    bar.apply(logLine(QStringLiteral("vm"), QStringLiteral("guest image built in 39.4 s (598 MiB)")));
    QVERIFY(bar.isHidden());
}

void TestImageBuildProgress::endsWithTheCallThatWaited()
{
    ImageBuildProgress bar;
    bar.apply(logLine(QStringLiteral("image"), QStringLiteral("30% installing packages")));
    QVERIFY(!bar.isHidden());
    // A failed build ends the call with the error naming the package; the bar goes.
    bar.apply(
        recorded("exec.finished", {{QStringLiteral("call_id"), QStringLiteral("toolu_1")},
                                   {QStringLiteral("ok"), false},
                                   {QStringLiteral("error"), QStringLiteral("package \"nodjs\" was not found")}}));
    QVERIFY(bar.isHidden());
    QCOMPARE(bar.percent(), 0);
}

QTEST_MAIN(TestImageBuildProgress)
#include "tst_image_build_progress.moc"
