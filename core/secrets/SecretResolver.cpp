#include "core/secrets/SecretResolver.h"

#include <QMutex>
#include <QMutexLocker>
#include <QRegularExpression>

namespace airlock {

struct SecretResolver::State {
    QMap<QString, QString> declared; // name → environment variable ("": the keychain)
    SecretStore store;
    mutable QMutex mutex;
    QMap<QString, QString> cache; // guarded by mutex

    Result<QString> lookUp(const QString &name) const;
    Result<QString> resolve(const QString &name);
};

QString SecretResolver::withoutKeychainHelp()
{
    return QStringLiteral("Without a keychain, keep the secret in an environment variable and name it in the project "
                          "file: \"secrets\": {\"NAME\": {\"env\": \"VAR\"}} in airlock.json.");
}

Result<QString> SecretResolver::State::lookUp(const QString &name) const
{
    const QString var = declared.value(name);
    if (!var.isEmpty()) {
        const QString value = qEnvironmentVariable(var.toLocal8Bit().constData()).trimmed();
        if (value.isEmpty())
            return Error::make(Error::Code::BadInput,
                               QStringLiteral("the secret %1 is read from the environment variable %2, which is not "
                                              "set or empty")
                                   .arg(name, var));
        return value;
    }
    auto value = store.read(keychainEntry(name));
    if (value)
        return value;
    if (value.error().code == Error::Code::NotFound)
        return Error::make(
            Error::Code::BadInput,
            QStringLiteral("the secret %1 is not in the keychain: store it with `airlock secrets set %1` "
                           "(or name an environment variable: \"secrets\": {\"%1\": {\"env\": "
                           "\"VAR\"}} in the project file)")
                .arg(name));
    return value.error();
}

Result<QString> SecretResolver::State::resolve(const QString &name)
{
    if (!isValidName(name))
        return Error::make(Error::Code::BadInput,
                           QStringLiteral("\"%1\" is not a secret name (letters, digits and _, not starting with a "
                                          "digit)")
                               .arg(name));
    {
        QMutexLocker lock(&mutex);
        if (auto it = cache.constFind(name); it != cache.constEnd())
            return *it;
    }
    // Not under the lock: a keychain read may wait on a prompt, and other names
    // (cached ones above all) must not wait behind it.
    auto value = lookUp(name);
    if (!value)
        return value;
    QMutexLocker lock(&mutex);
    // Two threads may have read at once: the first value kept is the one every
    // caller sees from now on.
    auto it = cache.constFind(name);
    if (it == cache.constEnd())
        it = cache.insert(name, *value);
    return *it;
}

SecretResolver::SecretResolver(QMap<QString, QString> envByName, SecretStore store) : m_state(std::make_shared<State>())
{
    m_state->declared = std::move(envByName);
    m_state->store = std::move(store);
}

bool SecretResolver::isValidName(const QString &name)
{
    static const QRegularExpression identifier(QStringLiteral("^[A-Za-z_][A-Za-z0-9_]*$"));
    return identifier.match(name).hasMatch();
}

Result<QString> SecretResolver::resolve(const QString &name) const
{
    return m_state->resolve(name);
}

SecretResolver::Function SecretResolver::asEgressResolver() const
{
    return [state = m_state](const QString &name) { return state->resolve(name); };
}

QList<std::pair<QString, QString>> SecretResolver::resolvedValues() const
{
    QMutexLocker lock(&m_state->mutex);
    QList<std::pair<QString, QString>> out;
    out.reserve(m_state->cache.size());
    for (auto it = m_state->cache.constBegin(); it != m_state->cache.constEnd(); ++it)
        out.append({it.key(), it.value()});
    return out;
}

} // namespace airlock
