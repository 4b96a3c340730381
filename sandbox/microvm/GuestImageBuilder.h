#pragma once

// Builds a guest root file system image from Debian packages with mmdebstrap: the
// packages of a GuestImageRecipe, from the host's apt sources, into an ext4 disk
// image (raw) that a session's copy-on-write disk is layered on. As root: mmdebstrap
// --mode=root into a folder, then mkfs.ext4 -d. As a user: --mode=unshare (needs
// uidmap and unprivileged user namespaces) into an ext2 image that gets a journal
// and room to grow. Blocking (minutes): run it on a worker thread.
//
// Progress comes as (percent, step) from mmdebstrap's own step lines; a failure says
// which step failed and, when apt named it, which package.

#include "core/util/Result.h"
#include "sandbox/microvm/GuestImageRecipe.h"

#include <QString>

#include <functional>

namespace airlock {

class GuestImageBuilder {
public:
    using ProgressSink = std::function<void(int percent, const QString &step)>;
    struct Built {
        QString rootImage; // <outDir>/root.img
        qint64 bytes = 0;  // allocated on disk
        qint64 durationMs = 0;
    };

    // What is missing on this host to build images (empty: nothing).
    static QString missingTools();
    // Builds into `outDir` (created; its old contents are replaced).
    static Result<Built> build(const GuestImageRecipe &recipe, const QString &outDir, const ProgressSink &progress);
    // The error a failed mmdebstrap run means, from what it printed: the package apt
    // could not find or install, or the step that failed with its last error line.
    static QString explainFailure(const QString &step, const QStringList &lines);
};

} // namespace airlock
