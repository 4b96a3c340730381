#pragma once

// Everything one tool call changed in the workspace, as far as the two walks (before
// and after the call) could see.

#include "core/workspace/FileChange.h"

#include <QStringList>

#include <vector>

namespace airlock {

struct WorkspaceChanges {
    // In path order: folder by folder, a folder's name sorting like a file of that
    // name, so "a/x" comes before "a.txt" ('/' sorts before any other character).
    std::vector<FileChange> files;
    // A limit was hit (maxFiles, maxDepth) or a folder could not be read, in either
    // walk: changes there are missing from `files`. Callers record it with them.
    bool incomplete = false;
    // Why the record may lack something, one sentence each: the reasons for
    // `incomplete`, and files whose changes have no diff because of the byte budget.
    QStringList notes;
};

} // namespace airlock
