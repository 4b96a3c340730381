#pragma once

// API keys and other secrets, kept in the operating system's keychain (Secret
// Service on Linux, Keychain on macOS) through QtKeychain, or read from an
// environment variable the user names. Never written to SQLite, logs, events or a
// plaintext file: where no keychain service runs (a headless box), this says so and
// points at environment variables instead of silently falling back.
//
// Calls block until the keychain answers (it may show an unlock prompt where there is
// a display), bounded by KeychainProbe::timeoutMs(): use them from a worker thread,
// never the UI thread. Any thread may call: the jobs all run
// on one keychain thread, as QtKeychain requires.

#include "core/util/Result.h"

#include <QString>

namespace airlock {

class SecretStore {
public:
    // `service` groups Airlock's entries in the keychain. `withoutKeychain` ends every
    // error that means "no keychain here" and says where to go instead (default: the
    // API key's environment variable, `--api-key-env VAR`).
    explicit SecretStore(QString service = QStringLiteral("airlock"), QString withoutKeychain = QString());

    Result<QString> read(const QString &name) const;
    Status write(const QString &name, const QString &value) const;
    Status remove(const QString &name) const;
    // Ok when a keychain can answer here without a prompt nobody could see; else why
    // not, pointing at environment variables. read/write/remove check it themselves.
    Status checkAvailable() const;

    // The key for a provider: from `envVar` when given (and then only from there),
    // else from the keychain entry "api-key:<provider>".
    Result<QString> apiKey(const QString &provider, const QString &envVar = QString()) const;
    static QString apiKeyEntry(const QString &provider) { return QStringLiteral("api-key:") + provider; }
    // True for apiKey's errors that mean "no key is set" (none stored, or the named
    // variable is empty), not a failing keychain: a front end words those for
    // itself (the window points at Settings; the CLI keeps these words, which name
    // its flags). Recognised here, beside where they are made, so they cannot drift.
    static bool isMissingApiKey(const Error &error);

private:
    QString m_service;
    QString m_withoutKeychain;
};

} // namespace airlock
