#pragma once

// Gives a session the values of the secrets its project file names (`"secrets":
// {"NAME": {"env": "VAR"} | {}}`, ProjectConfig::secrets): a declared secret with "env"
// is read from that environment variable only (a headless run: never a keychain
// fallback; surrounding whitespace trimmed, as for API keys), any other from the
// keychain entry "secret:NAME".
//
// A name the project does not declare (a binding's `${secret:NAME}` with no entry
// under "secrets") is looked up in the keychain as well: the names come from the
// project file, never from the sandbox, so this widens nothing, and a secret set
// with `airlock secrets set NAME` works without declaring it twice.
//
// Values are cached for the resolver's lifetime (a keychain read may take a prompt);
// failures are not, so a secret set while a session runs is found on the next try.
// Thread-safe: the egress gate resolves from its worker threads. A keychain read
// blocks (see SecretStore): never call resolve() on the UI thread.

// core/secrets sees only core/util (tests/layering): the project's map and the
// gate's function type are taken by shape, not by name.
#include "core/secrets/SecretStore.h"
#include "core/util/Result.h"

#include <QList>
#include <QMap>
#include <QString>

#include <functional>
#include <memory>
#include <utility>

namespace airlock {

class SecretResolver {
public:
    // The same function type as EgressSecretResolver (core/egress/EgressHeaderTemplate.h).
    using Function = std::function<Result<QString>(const QString &secretName)>;

    // `envByName`: each declared secret's environment variable, empty for the
    // keychain. `store` reads keychain entries; made with withoutKeychainHelp() its
    // errors end pointing at "env" in the project file (the default store is).
    explicit SecretResolver(QMap<QString, QString> envByName = {},
                            SecretStore store = SecretStore(QStringLiteral("airlock"), withoutKeychainHelp()));
    // From ProjectConfig::secrets (a QMap<QString, ProjectSecret>, or any map whose
    // values have an `env` string).
    template <typename ProjectSecrets>
    static SecretResolver fromProject(const ProjectSecrets &secrets,
                                      SecretStore store = SecretStore(QStringLiteral("airlock"), withoutKeychainHelp()))
    {
        QMap<QString, QString> envByName;
        for (auto it = secrets.begin(); it != secrets.end(); ++it)
            envByName.insert(it.key(), it.value().env);
        return SecretResolver(std::move(envByName), std::move(store));
    }

    // The value of `name`. Errors (Error::Code::BadInput when nothing is set, so a
    // front end can tell "not set" from "keychain broken"): an "env" variable unset
    // or empty (naming it); no keychain entry (naming `airlock secrets set NAME`); a
    // keychain that cannot answer here (pointing at "env" in the project file). A
    // name that is not [A-Za-z_][A-Za-z0-9_]* is refused.
    Result<QString> resolve(const QString &name) const;
    // The same, as the egress gate wants it. The function shares this resolver's
    // state (cache, declarations, store), so it stays valid after the resolver goes.
    Function asEgressResolver() const;
    // Every value resolved so far, as (name, value), for the redactor.
    QList<std::pair<QString, QString>> resolvedValues() const;

    static QString keychainEntry(const QString &name) { return QStringLiteral("secret:") + name; }
    static bool isValidName(const QString &name);
    // Where to go when no keychain can be used: "env" in the project file.
    static QString withoutKeychainHelp();

private:
    struct State;
    std::shared_ptr<State> m_state;
};

} // namespace airlock
