#include "core/secrets/SecretStore.h"

#include "core/secrets/KeychainProbe.h"

#include <qt6keychain/keychain.h>

#include <QCoreApplication>
#include <QEventLoop>
#include <QThread>
#include <QTimer>

namespace airlock {
namespace {

QString noServiceHelp()
{
#ifdef Q_OS_MACOS
    return QStringLiteral("the macOS Keychain is not available");
#else
    return QStringLiteral("no usable keychain service (Secret Service over D-Bus: gnome-keyring, KWallet, KeePassXC) "
                          "runs in this session");
#endif
}

// Where to go when there is no keychain: every such error ends with this.
QString envHelp()
{
    return QStringLiteral("Without a keychain, keep the key in an environment variable and name it: "
                          "`airlock chat --api-key-env VAR`, or the AIRLOCK_API_KEY_ENV=VAR setting.");
}

// QtKeychain keeps one job queue per process, owned by the thread that first used
// it; a job started from another thread reports back after it is gone (crashes,
// or a queue that never moves again). So every job runs on one thread of ours.
class KeychainThread {
public:
    static KeychainThread &instance()
    {
        static KeychainThread k; // never destroyed before exit: the thread outlives all callers
        return k;
    }
    template <typename Fn>
    void run(Fn &&fn)
    {
        if (QThread::currentThread() == &m_thread) {
            fn();
            return;
        }
        QMetaObject::invokeMethod(m_context, std::forward<Fn>(fn), Qt::BlockingQueuedConnection);
    }

private:
    KeychainThread()
    {
        m_thread.setObjectName(QStringLiteral("airlock-keychain"));
        m_context = new QObject; // lives on the keychain thread; deleted when it finishes
        m_context->moveToThread(&m_thread);
        QObject::connect(&m_thread, &QThread::finished, m_context, &QObject::deleteLater);
        m_thread.start();
    }
    ~KeychainThread()
    {
        m_thread.quit();
        m_thread.wait(2000);
    }
    QThread m_thread;
    QObject *m_context = nullptr;
};

// Creates, runs and reads a QtKeychain job on the keychain thread: the job object
// must belong to the thread whose event loop serves it. False when it has not
// finished within `timeoutMs`: the job is then left to finish (and delete itself) on
// that thread, since QtKeychain may still hold it.
template <typename JobType, typename Setup, typename Read>
bool runJob(const QString &service, int timeoutMs, Setup setup, Read read)
{
    bool finished = false;
    KeychainThread::instance().run([&] {
        auto *job = new JobType(service);
        job->setAutoDelete(true);
        job->setInsecureFallback(false); // never a plaintext file
        setup(*job);
        QEventLoop loop;
        // The loop is the context: after a timeout, a late `finished` reaches nobody.
        QObject::connect(job, &QKeychain::Job::finished, &loop, [&] {
            read(*job);
            finished = true;
            loop.quit();
        });
        QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
        job->start();
        if (!finished)
            loop.exec();
    });
    return finished;
}

// Runs the probe and then the job, both bounded in time; an error when either fails.
template <typename JobType, typename Setup, typename Read>
Status runChecked(const QString &service, const QString &help, const QString &what, const QString &name, Setup setup,
                  Read read)
{
    const int timeoutMs = KeychainProbe::timeoutMs();
    if (Status reachable = KeychainProbe::check(timeoutMs); !reachable)
        return Error::make(reachable.error().code, QStringLiteral("cannot %1 \"%2\" in the keychain: %3. %4")
                                                       .arg(what, name, reachable.error().message, help));
    if (!runJob<JobType>(service, timeoutMs, setup, read))
        return Error::make(Error::Code::Io,
                           QStringLiteral("cannot %1 \"%2\" in the keychain: it did not answer within %3 s (waiting "
                                          "for a password prompt, or a stuck keychain service; set "
                                          "AIRLOCK_KEYCHAIN_TIMEOUT_MS to wait longer). %4")
                               .arg(what, name)
                               .arg(timeoutMs / 1000.0)
                               .arg(help));
    return {};
}

Error errorFor(QKeychain::Error code, const QString &detail, const QString &help, const QString &what,
               const QString &name)
{
    switch (code) {
    case QKeychain::EntryNotFound:
        return Error::make(Error::Code::NotFound, QStringLiteral("no secret named \"%1\" in the keychain").arg(name));
    case QKeychain::AccessDenied:
    case QKeychain::AccessDeniedByUser:
        return Error::make(Error::Code::Io,
                           QStringLiteral("the keychain refused to %1 \"%2\": %3").arg(what, name, detail));
    case QKeychain::NoBackendAvailable:
    case QKeychain::NotImplemented:
        return Error::make(Error::Code::Io,
                           QStringLiteral("cannot %1 \"%2\": %3. %4").arg(what, name, noServiceHelp(), help));
    default:
        // A missing D-Bus session, no Secret Service, a locked-out keyring: QtKeychain
        // reports them all as OtherError, with a backend-specific text.
        return Error::make(Error::Code::Io, QStringLiteral("cannot %1 \"%2\" in the keychain (%3): %4. %5")
                                                .arg(what, name, detail, noServiceHelp(), help));
    }
}

} // namespace

SecretStore::SecretStore(QString service, QString withoutKeychain)
    : m_service(std::move(service)),
      m_withoutKeychain(withoutKeychain.isEmpty() ? envHelp() : std::move(withoutKeychain))
{
}

Result<QString> SecretStore::read(const QString &name) const
{
    QKeychain::Error code = QKeychain::NoError;
    QString detail, value;
    if (Status s = runChecked<QKeychain::ReadPasswordJob>(
            m_service, m_withoutKeychain, QStringLiteral("read"), name,
            [&](QKeychain::ReadPasswordJob &job) { job.setKey(name); },
            [&](QKeychain::ReadPasswordJob &job) {
                code = job.error();
                detail = job.errorString();
                value = job.textData();
            });
        !s)
        return s.error();
    if (code != QKeychain::NoError)
        return errorFor(code, detail, m_withoutKeychain, QStringLiteral("read"), name);
    return value;
}

Status SecretStore::write(const QString &name, const QString &value) const
{
    if (value.isEmpty())
        return Error::make(Error::Code::BadInput, QStringLiteral("refusing to store an empty secret \"%1\"").arg(name));
    QKeychain::Error code = QKeychain::NoError;
    QString detail;
    if (Status s = runChecked<QKeychain::WritePasswordJob>(
            m_service, m_withoutKeychain, QStringLiteral("store"), name,
            [&](QKeychain::WritePasswordJob &job) {
                job.setKey(name);
                job.setTextData(value);
            },
            [&](QKeychain::WritePasswordJob &job) {
                code = job.error();
                detail = job.errorString();
            });
        !s)
        return s.error();
    if (code != QKeychain::NoError)
        return errorFor(code, detail, m_withoutKeychain, QStringLiteral("store"), name);
    return {};
}

Status SecretStore::remove(const QString &name) const
{
    QKeychain::Error code = QKeychain::NoError;
    QString detail;
    if (Status s = runChecked<QKeychain::DeletePasswordJob>(
            m_service, m_withoutKeychain, QStringLiteral("remove"), name,
            [&](QKeychain::DeletePasswordJob &job) { job.setKey(name); },
            [&](QKeychain::DeletePasswordJob &job) {
                code = job.error();
                detail = job.errorString();
            });
        !s)
        return s.error();
    if (code != QKeychain::NoError && code != QKeychain::EntryNotFound)
        return errorFor(code, detail, m_withoutKeychain, QStringLiteral("remove"), name);
    return {};
}

Status SecretStore::checkAvailable() const
{
    if (Status s = KeychainProbe::check(KeychainProbe::timeoutMs()); !s)
        return Error::make(s.error().code,
                           QStringLiteral("no usable keychain: %1. %2").arg(s.error().message, m_withoutKeychain));
    return {};
}

namespace {
const QLatin1String kNoKeyFor("no API key for ");
const QLatin1String kEnvEmpty(" is not set or empty");
} // namespace

bool SecretStore::isMissingApiKey(const Error &error)
{
    return error.code == Error::Code::BadInput &&
           (error.message.startsWith(kNoKeyFor) ||
            (error.message.startsWith(QLatin1String("the environment variable ")) &&
             error.message.endsWith(kEnvEmpty)));
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
