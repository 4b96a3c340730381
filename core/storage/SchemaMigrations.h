#pragma once

// The database schema, as an ordered list of forward migrations. Version N is
// reached by applying steps 1..N in order; PRAGMA user_version records N.
// Never edit a released step: add a new one.

#include "storage/SqliteDatabase.h"

namespace airlock {

class SchemaMigrations {
public:
    static int latestVersion();
    // SQL of one step (1-based), for tests that build an older database.
    static const char *stepSql(int version);
    // Brings the database from its user_version to latestVersion() in one transaction.
    static Status migrate(SqliteDatabase &db);
};

} // namespace airlock
