#pragma once

// The database schema, as an ordered list of forward migrations. Version N is
// reached by applying steps 1..N in order; PRAGMA user_version records N.
// Never edit a released step: add a new one.

#include "core/storage/SqliteDatabase.h"

#include <functional>

namespace airlock {

class SchemaMigrations {
public:
    static int latestVersion();
    // SQL of one step (1-based), for tests that build an older database.
    static const char *stepSql(int version);
    // Brings the database from its user_version to latestVersion() in one transaction.
    // `beforeCommit` runs inside it when any step ran, with the version it started from.
    static Status migrate(SqliteDatabase &db, const std::function<Status(int fromVersion)> &beforeCommit = {});
    // For read-only access: the schema is exactly the latest, else an Error saying why
    // (NotFound for an empty database, TooNew, or an older one that needs a writer).
    static Status check(SqliteDatabase &db);
};

} // namespace airlock
