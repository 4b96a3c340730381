#pragma once

// Binds one event to a prepared "INSERT INTO events VALUES (?,?,?,?,?,?,?)" and
// steps it, bypassing EventStore: for the naive baseline of store_bench and for
// building databases in older schema versions in tests.

#include "core/events/Event.h"

#include <sqlite3.h>

namespace airlock::test {

// Returns SQLite's result code (SQLITE_DONE on success); resets the statement.
inline int insertRawEvent(sqlite3_stmt *insert, const Event &e)
{
    const QByteArray sid = e.sessionId.toUtf8(), kind = e.kind.toUtf8();
    sqlite3_bind_text(insert, 1, sid.constData(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(insert, 2, e.seq);
    sqlite3_bind_int64(insert, 3, e.timeMs);
    sqlite3_bind_text(insert, 4, kind.constData(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(insert, 5, e.payload.constData(), int(e.payload.size()), SQLITE_TRANSIENT);
    sqlite3_bind_blob(insert, 6, e.prevHash.constData(), int(e.prevHash.size()), SQLITE_TRANSIENT);
    sqlite3_bind_blob(insert, 7, e.hash.constData(), int(e.hash.size()), SQLITE_TRANSIENT);
    const int rc = sqlite3_step(insert);
    sqlite3_reset(insert);
    return rc;
}

} // namespace airlock::test
