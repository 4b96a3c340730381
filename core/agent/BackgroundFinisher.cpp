#include "core/agent/BackgroundFinisher.h"

#include <QThreadPool>
#include <QtConcurrent>

namespace airlock {
namespace {

// Destroyed at exit after waiting for their jobs: what a closed session recorded
// is on disk before the process ends.
Q_GLOBAL_STATIC(QThreadPool, releasePool)
Q_GLOBAL_STATIC(QThreadPool, writePool)

} // namespace

void BackgroundFinisher::run(std::function<void()> work)
{
    releasePool()->start(std::move(work));
}

QFuture<Status> BackgroundFinisher::write(std::function<Status()> work)
{
    return QtConcurrent::run(writePool(), std::move(work));
}

void BackgroundFinisher::waitForWrites()
{
    writePool()->waitForDone();
}

} // namespace airlock
