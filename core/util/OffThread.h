#pragma once

// Work off the UI thread and its result back on it, with Qt's own QFuture::then():
// the continuation runs on the context's thread, and not once the context is gone.
// One guarantee is added. Qt 6.4 runs a continuation at once, inside the call that
// attaches it, when the future has already finished and the context lives on the
// calling thread: a quick job would report back before its caller returned, which
// the QFutureWatcher this replaces never did (a test waiting for the signal would
// miss it). So the job is held behind a gate until its continuation is attached,
// and `done` always runs later, from the context thread's event loop.

#include <QFuture>
#include <QFutureInterface>
#include <QObject>
#include <QPointer>
#include <QThreadPool>

#include <type_traits>
#include <utility>

namespace airlock {

class OffThread {
public:
    // `work()` on `pool`, then `done(result)` on `context`'s thread.
    template <typename Work, typename Done>
    static void run(QThreadPool *pool, QObject *context, Work work, Done done)
    {
        using Result = std::invoke_result_t<Work>;
        // Qt 6.4 asserts that the context of then() is still alive when the work
        // ends (a debug build aborts otherwise). So Qt gets a relay on the context's
        // thread that lives until the continuation has run, and the real context is
        // checked there, on its own thread, where the check cannot race with its
        // destruction.
        auto *relay = new QObject; // deleted by the continuation below
        relay->moveToThread(context->thread());
        QFutureInterface<void> gate;
        gate.reportStarted();
        gate.future()
            .then(pool, std::move(work))
            .then(relay, [relay, target = QPointer<QObject>(context), done = std::move(done)](Result result) mutable {
                relay->deleteLater();
                if (target)
                    done(std::move(result));
            });
        gate.reportFinished(); // only now does the job start
    }

    // The UI's own loads share the global pool (the agent has a pool of its own).
    template <typename Work, typename Done>
    static void run(QObject *context, Work work, Done done)
    {
        run(QThreadPool::globalInstance(), context, std::move(work), std::move(done));
    }
};

} // namespace airlock
