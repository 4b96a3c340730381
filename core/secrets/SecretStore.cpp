#include "secrets/SecretStore.h"

#include <qt6keychain/keychain.h>

#include <QCoreApplication>
#include <QEventLoop>

namespace airlock {
namespace {

QString noServiceHelp()
{
#ifdef Q_OS_MACOS
    return QStringLiteral("the macOS Keychain is not available");
#else
    return QStringLiteral("no keychain service (Secret Service over D-Bus: gnome-keyring, KWallet, KeePassXC) "
                          "runs in this session");
#endif
}

// Runs a QtKeychain job to completion on the calling thread.
void runJob(QKeychain::Job &job)
{
    job.setAutoDelete(false);
    job.setInsecureFallback(false); // never a plaintext file
    QEventLoop loop;
    QObject::connect(&job, &QKeychain::Job::finished, &loop, &QEventLoop::quit);
    job.start();
    loop.exec();
}

Error errorFor(const QKeychain::Job &job, const QString &what, const QString &name)
{
    switch (job.error()) {
    case QKeychain::EntryNotFound:
        return Error::make(Error::Code::NotFound, QStringLiteral("no secret named \"%1\" in the keychain").arg(name));
    case QKeychain::AccessDenied:
    case QKeychain::AccessDeniedByUser:
        return Error::make(Error::Code::Io,
                           QStringLiteral("the keychain refused to %1 \"%2\": %3").arg(what, name, job.errorString()));
    case QKeychain::NoBackendAvailable:
    case QKeychain::NotImplemented:
        return Error::make(Error::Code::Io,
                           QStringLiteral("cannot %1 \"%2\": %3. Pass secrets through an environment variable "
                                          "instead (e.g. --api-key-env ANTHROPIC_API_KEY).")
                               .arg(what, name, noServiceHelp()));
    default:
        // A missing D-Bus session, no Secret Service, a locked-out keyring: QtKeychain
        // reports them all as OtherError, with a backend-specific text.
        return Error::make(Error::Code::Io,
                           QStringLiteral("cannot %1 \"%2\" in the keychain (%3). If %4, pass secrets through "
                                          "an environment variable instead (e.g. --api-key-env ANTHROPIC_API_KEY).")
                               .arg(what, name, job.errorString(), noServiceHelp()));
    }
}

} // namespace

SecretStore::SecretStore(QString service) : m_service(std::move(service)) {}

Result<QString> SecretStore::read(const QString &name) const
{
    QKeychain::ReadPasswordJob job(m_service);
    job.setKey(name);
    runJob(job);
    if (job.error() != QKeychain::NoError)
        return errorFor(job, QStringLiteral("read"), name);
    return job.textData();
}

Status SecretStore::write(const QString &name, const QString &value) const
{
    if (value.isEmpty())
        return Error::make(Error::Code::BadInput, QStringLiteral("refusing to store an empty secret \"%1\"").arg(name));
    QKeychain::WritePasswordJob job(m_service);
    job.setKey(name);
    job.setTextData(value);
    runJob(job);
    if (job.error() != QKeychain::NoError)
        return errorFor(job, QStringLiteral("store"), name);
    return {};
}

Status SecretStore::remove(const QString &name) const
{
    QKeychain::DeletePasswordJob job(m_service);
    job.setKey(name);
    runJob(job);
    if (job.error() != QKeychain::NoError && job.error() != QKeychain::EntryNotFound)
        return errorFor(job, QStringLiteral("remove"), name);
    return {};
}

Result<QString> SecretStore::apiKey(const QString &provider, const QString &envVar) const
{
    if (!envVar.isEmpty()) {
        const QString value = qEnvironmentVariable(envVar.toLocal8Bit().constData()).trimmed();
        if (value.isEmpty())
            return Error::make(Error::Code::BadInput,
                               QStringLiteral("the environment variable %1 is not set or empty").arg(envVar));
        return value;
    }
    auto key = read(apiKeyEntry(provider));
    if (!key && key.error().code == Error::Code::NotFound)
        return Error::make(Error::Code::BadInput,
                           QStringLiteral("no API key for %1: store one in the keychain (Settings, or `airlock keys "
                                          "set %1`) or pass --api-key-env VAR")
                               .arg(provider));
    return key;
}

} // namespace airlock
