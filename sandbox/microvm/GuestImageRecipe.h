#pragma once

// Everything that goes into a Debian guest root file system, and the cache key made
// of it: the suite, the architecture, the apt sources and options taken from the
// host (so a machine behind a mirror or a snapshot builds from what it can reach),
// the base packages, the project's extra packages and the recipe's own version. Two
// recipes with the same key build the same image (up to the archive moving on: a
// rebuild takes what the sources serve that day).

#include "core/util/Result.h"

#include <QByteArray>
#include <QString>
#include <QStringList>

namespace airlock {

struct GuestImageRecipe {
    QString suite;           // e.g. bookworm
    QString architecture;    // dpkg's name, e.g. amd64
    QStringList sourceFiles; // host apt source files pasted into the guest (or empty)
    QByteArray sourcesText;  // their contents (or the one mirror line), for the key
    QStringList aptOptions;  // apt options carried over from the host's configuration
    QStringList packages;    // base + extra, sorted, unique

    // What every Debian guest has: a shell and the tools a project's tests expect.
    static QStringList basePackages();
    // The host's suite, sources and options; `extra` are the project's packages
    // (each checked by checkDebianPackageName).
    static Result<GuestImageRecipe> fromHost(const QStringList &extra);
    // Hex SHA-256 of everything above.
    QString key() const;
};

} // namespace airlock
