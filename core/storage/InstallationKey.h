#pragma once

// The secret that seals each session's head (its last seq and hash) with an
// HMAC-SHA256, so that a log rewritten or cut short inside the database — chain
// hashes recomputed, head row edited to match — is still caught: the seal cannot
// be recomputed without this key, and the key is not in the database.
//
// It is a 0600 file in the configuration folder
// ($XDG_CONFIG_HOME/airlock/record.key, ~/Library/Preferences/Airlock/record.key on
// macOS), not the OS keychain: every process that appends (the window, `airlock
// chat` over ssh with no session bus, a headless box) must find the same key, and
// a key that is sometimes reachable and sometimes not would make intact sessions
// look tampered with. It protects against edits by anything that can write the
// database but not read this file; it does not protect against the same user
// account, which can read both.

#include "core/util/Result.h"

#include <QByteArray>
#include <QString>

namespace airlock {

class InstallationKey {
public:
    static constexpr int kKeySize = 32;

    static QString defaultPath();
    // NotFound if there is no key file yet.
    static Result<QByteArray> load(const QString &path);
    // Creates the key (32 random bytes, hex, mode 0600) if absent; two processes
    // creating it at once agree on one key.
    static Result<QByteArray> loadOrCreate(const QString &path);

    // HMAC-SHA256 over a versioned record of the session id, last seq and head hash.
    static QByteArray sealHead(const QByteArray &key, const QString &sessionId, qint64 lastSeq,
                               const QByteArray &headHash);
};

} // namespace airlock
