#pragma once

// The names of the secrets stored with `airlock secrets set` (or Settings →
// Secrets), never their values: a keychain cannot list its entries, so this small
// file does, for `airlock secrets list` and the Settings tab. It lives beside the
// session-record key ($XDG_CONFIG_HOME/airlock/secrets-index.json; on macOS
// ~/Library/Preferences/Airlock/). It may disagree with the keychain (an entry
// removed there by hand): the keychain decides, this only remembers names.
//
// Writes are atomic (QSaveFile) and serialised between processes by a lock file.
// Blocking file I/O: fine on any thread but the UI's for big folders; it is tiny.

#include "core/util/Result.h"

#include <QString>
#include <QStringList>

namespace airlock {

class SecretIndex {
public:
    explicit SecretIndex(QString path = defaultPath());
    static QString defaultPath();
    QString path() const { return m_path; }

    // Sorted; empty when there is no index yet. A damaged file is an error naming it.
    Result<QStringList> names() const;
    Status add(const QString &name);
    Status remove(const QString &name); // fine when the name is not there

private:
    template <typename Change>
    Status update(Change change);
    QString m_path;
};

} // namespace airlock
