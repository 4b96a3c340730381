// Off-UI-thread work reports back on the context's thread, always after the call
// that started it returned (even when the work is instant), and not at all once
// the context is gone.

#include "core/util/OffThread.h"

#include <QSemaphore>
#include <QTest>
#include <QThread>

#include <atomic>
#include <memory>

using namespace airlock;

class TestOffThread final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void doneRunsLaterOnTheContextThread();
    void instantWorkStillReportsLater();
    void goneContextGetsNothing();
};

void TestOffThread::doneRunsLaterOnTheContextThread()
{
    QObject context;
    QThread *worker = nullptr;
    QThread *reported = nullptr;
    int result = 0;
    OffThread::run(
        &context,
        [&worker] {
            worker = QThread::currentThread();
            return 42;
        },
        [&](int r) {
            reported = QThread::currentThread();
            result = r;
        });
    QTRY_COMPARE(result, 42);
    QVERIFY(worker != QThread::currentThread());
    QCOMPARE(reported, QThread::currentThread());
}

void TestOffThread::instantWorkStillReportsLater()
{
    QObject context;
    for (int i = 0; i < 50; ++i) {
        bool done = false;
        OffThread::run(
            &context, [] { return QString(); }, [&done](const QString &) { done = true; });
        QThread::msleep(i % 5); // the work has surely finished by now, some rounds
        QVERIFY(!done);         // never inside the call, nor before the event loop runs
        QTRY_VERIFY(done);
    }
}

void TestOffThread::goneContextGetsNothing()
{
    auto context = std::make_unique<QObject>();
    QSemaphore release;
    std::atomic<bool> finished = false;
    bool done = false;
    OffThread::run(
        context.get(),
        [&] {
            release.acquire();
            finished = true;
            return 1;
        },
        [&done](int) { done = true; });
    context.reset();
    release.release();
    QTRY_VERIFY(finished.load());
    QTest::qWait(50);
    QVERIFY(!done);
}

QTEST_GUILESS_MAIN(TestOffThread)
#include "tst_off_thread.moc"
