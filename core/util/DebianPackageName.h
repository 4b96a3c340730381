#pragma once

// A Debian package as apt reads it on a command line: name (policy 5.6.1), with an
// optional :arch and =version (5.6.12). Checked before it reaches apt so that a
// project file can never pass an option ("-o…") or anything a shell would read.

#include "core/util/Result.h"

#include <QString>

namespace airlock {

// The message names the package and says what a name may hold.
Status checkDebianPackageName(const QString &name);

} // namespace airlock
