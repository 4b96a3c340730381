#pragma once

// Where a closed session ends what it cannot end at once without making its
// caller (the UI thread) wait: flushing its event writer (up to 30 s on a busy
// disk), stopping a VM, a cancelled call still running. Process-wide, so that a
// later reader of the log can wait for every earlier session's events to be on
// disk (writes), without waiting for unrelated VMs to stop (work).

#include "core/util/Result.h"

#include <QFuture>

#include <functional>

namespace airlock {

class BackgroundFinisher {
public:
    // Releasing what may take long (a pool still running, a VM's last owner).
    static void run(std::function<void()> work);
    // Putting events on disk; waitForWrites() waits for these.
    static QFuture<Status> write(std::function<Status()> work);
    // Blocks until every write handed in so far has finished (never call it on the
    // UI thread: resume() calls it on its loader's thread).
    static void waitForWrites();
};

} // namespace airlock
