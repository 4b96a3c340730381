#pragma once

// Bounds on what one tool call can make the session record and send to the model,
// so a guest printing without end (`yes`), a huge file read or a giant result
// costs a bounded database and a bounded request. Nothing is cut silently: every
// cut leaves a note saying how much is missing. Overridable per session (tests).
//
// The model side (text and tool input per turn) is bounded in the stream decoders:
// see StreamLimits in providers/StreamDecoder.h.

#include "core/workspace/WorkspaceLimits.h"

#include <QtGlobal>

namespace airlock {

struct CallLimits {
    // exec.log events of one call (lines are batched into events). Past it, or past
    // maxLogBytes, lines are no longer recorded but counted, and the call's last
    // lines (logTailBytes) are kept: the record has the first part, one summary
    // event ("… 9,998,000 lines (19.1 MB) not recorded …") and the last part.
    int maxLogEvents = 400;
    qint64 maxLogBytes = 2 * 1024 * 1024; // characters of the first part
    qint64 logTailBytes = 64 * 1024;      // characters of the last part
    int logTailLines = 200;               // lines of the last part
    // A longer line is cut, with a note of how much was cut.
    qsizetype maxLineChars = 8 * 1024;
    // Lines that arrive faster than they are recorded share an event, up to this
    // many characters: a fast producer makes few events, a slow one one per line.
    qsizetype logBatchChars = 32 * 1024;

    // A result (or error) larger than this, as JSON text, is cut (its long strings
    // first, then long arrays) before it is recorded and sent to the model, with a
    // note telling the model how to get the rest.
    qsizetype maxResultBytes = 256 * 1024;

    // file.changed events of one call; past it, the call's record says how many
    // more files changed. Negative: no limit.
    int maxFileChangeEvents = 2000;

    // What the before-and-after walks of the shared workspace read and keep.
    WorkspaceLimits workspace;

    // No event payload larger than this reaches the store. One that is larger (or
    // cannot be serialised) is recorded as an error; a call's outcome stays an
    // outcome (a failed one), so every call still ends with exactly one.
    qsizetype maxEventBytes = 4 * 1024 * 1024;
};

} // namespace airlock
