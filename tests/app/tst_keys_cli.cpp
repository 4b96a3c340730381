// `airlock keys` against the real Secret Service (gnome-keyring in a private D-Bus
// session, started by tests/support/with-secret-service.sh), then `airlock chat`
// finding the stored key by itself; and `airlock keys set` where no keychain can
// be used (no bus, a bus without a Secret Service, a keyring that would need a
// password prompt, a keychain that never answers): a quick, clear exit 1.

#include <QDBusConnection>
#include <QDBusVirtualObject>
#include <QDir>
#include <QFile>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

namespace {

struct Run {
    bool finished = false;
    int exitCode = -1;
    QByteArray out, err;
};

// A D-Bus session daemon of the test's own, knowing only the services in `serviceDir`
// (none when empty), so no keychain is started behind the test's back.
class PrivateBus {
public:
    explicit PrivateBus(const QString &serviceDir, const QProcessEnvironment &env)
    {
        const QString config = m_dir.filePath(QStringLiteral("bus.conf"));
        QFile f(config);
        if (!f.open(QIODevice::WriteOnly))
            return;
        f.write(QStringLiteral("<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN\" "
                               "\"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
                               "<busconfig><type>session</type><listen>unix:tmpdir=%1</listen>"
                               "<auth>EXTERNAL</auth>%2<policy context=\"default\">"
                               "<allow send_destination=\"*\" eavesdrop=\"true\"/><allow eavesdrop=\"true\"/>"
                               "<allow own=\"*\"/></policy></busconfig>\n")
                    .arg(m_dir.path(), serviceDir.isEmpty()
                                           ? QString()
                                           : QStringLiteral("<servicedir>%1</servicedir>").arg(serviceDir))
                    .toUtf8());
        f.close();
        m_daemon.setProcessEnvironment(env);
        m_daemon.start(QStringLiteral("dbus-daemon"),
                       {QStringLiteral("--config-file=") + config, QStringLiteral("--nofork"),
                        QStringLiteral("--print-address=1")});
        if (m_daemon.waitForStarted(10000) && m_daemon.waitForReadyRead(10000))
            m_address = QString::fromUtf8(m_daemon.readLine()).trimmed();
    }
    ~PrivateBus()
    {
        m_daemon.kill();
        m_daemon.waitForFinished(5000);
    }
    QString address() const { return m_address; }

private:
    QTemporaryDir m_dir;
    QProcess m_daemon;
    QString m_address;
};

// Owns a D-Bus path and never answers what arrives there: a stuck keychain.
class Silent final : public QDBusVirtualObject {
public:
    QString introspect(const QString &) const override { return {}; }
    bool handleMessage(const QDBusMessage &, const QDBusConnection &) override { return true; }
};

// Where no display exists: what a headless machine's environment looks like.
QProcessEnvironment headless(const QString &busAddress, const QString &home)
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove(QStringLiteral("DISPLAY"));
    env.remove(QStringLiteral("WAYLAND_DISPLAY"));
    env.remove(QStringLiteral("AIRLOCK_KEYCHAIN_TIMEOUT_MS"));
    env.insert(QStringLiteral("HOME"), home);
    env.insert(QStringLiteral("XDG_DATA_HOME"), home + QStringLiteral("/.local/share"));
    env.insert(QStringLiteral("XDG_RUNTIME_DIR"), home);
    env.insert(QStringLiteral("DBUS_SESSION_BUS_ADDRESS"), busAddress);
    return env;
}

} // namespace

class TestKeysCli final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void setStatusRemove();
    void emptyKeyIsRefused();
    void noBusSaysSo();
    void busWithoutSecretServiceSaysSo();
    void keyringThatWantsAPromptIsNotPromptedHeadless();
    void keychainThatNeverAnswersTimesOut();

private:
    static Run run(const QStringList &args, const QByteArray &input,
                   const QProcessEnvironment &env = QProcessEnvironment::systemEnvironment())
    {
        Run r;
        QProcess p;
        p.setProcessEnvironment(env);
        p.start(QStringLiteral(AIRLOCK_BIN_DIR "/airlock"), args);
        p.write(input);
        p.closeWriteChannel();
        r.finished = p.waitForFinished(60000);
        if (!r.finished) {
            p.kill();
            p.waitForFinished(5000);
        }
        r.out = p.readAllStandardOutput();
        r.err = p.readAllStandardError();
        r.exitCode = r.finished ? p.exitCode() : -1;
        return r;
    }
    static int airlock(const QStringList &args, const QByteArray &input, QByteArray *out = nullptr,
                       QByteArray *err = nullptr)
    {
        const Run r = run(args, input);
        if (out)
            *out = r.out;
        if (err)
            *err = r.err;
        return r.exitCode;
    }
    // `airlock keys set anthropic` must fail (exit 1) and say why and where to go.
    static void expectNoKeychain(const Run &r, const char *why)
    {
        QVERIFY2(r.finished, "airlock keys set hung");
        QVERIFY2(r.exitCode == 1, r.err.constData());
        QVERIFY2(r.err.contains(why), r.err.constData());
        QVERIFY2(r.err.contains("--api-key-env VAR"), r.err.constData());
        QVERIFY2(r.err.contains("AIRLOCK_API_KEY_ENV"), r.err.constData());
        QVERIFY(!r.err.contains("sk-ant")); // the key is not echoed
    }
    static QStringList keysSet()
    {
        return {QStringLiteral("keys"), QStringLiteral("set"), QStringLiteral("anthropic")};
    }
};

void TestKeysCli::setStatusRemove()
{
    QByteArray out, err;
    QCOMPARE(airlock({QStringLiteral("keys"), QStringLiteral("status"), QStringLiteral("anthropic")}, {}, &out), 1);
    QVERIFY(out.contains("no key"));
    QCOMPARE(airlock(keysSet(), "sk-ant-secret-value-1234\n", &out, &err), 0);
    QVERIFY2(out.contains("…1234"), out.constData());
    QVERIFY(!out.contains("secret-value")); // never printed in full
    QCOMPARE(airlock({QStringLiteral("keys"), QStringLiteral("status"), QStringLiteral("anthropic")}, {}, &out), 0);
    QVERIFY(out.contains("key stored (…1234)"));
    QCOMPARE(airlock({QStringLiteral("keys"), QStringLiteral("remove"), QStringLiteral("anthropic")}, {}, &out), 0);
    QCOMPARE(airlock({QStringLiteral("keys"), QStringLiteral("status"), QStringLiteral("anthropic")}, {}, &out), 1);
}

void TestKeysCli::emptyKeyIsRefused()
{
    QByteArray err;
    QCOMPARE(airlock({QStringLiteral("keys"), QStringLiteral("set"), QStringLiteral("openai")}, "\n", nullptr, &err),
             2);
    QVERIFY(err.contains("no key"));
    QCOMPARE(airlock({QStringLiteral("keys"), QStringLiteral("frob"), QStringLiteral("openai")}, {}), 2);
}

void TestKeysCli::noBusSaysSo()
{
    QTemporaryDir home;
    for (const QString &address : {home.filePath(QStringLiteral("no-bus-here")), QString()}) {
        QProcessEnvironment env = headless(QStringLiteral("unix:path=") + address, home.path());
        if (address.isEmpty())
            env.remove(QStringLiteral("DBUS_SESSION_BUS_ADDRESS")); // and nothing to autolaunch one with
        expectNoKeychain(run(keysSet(), "sk-ant-nowhere-1\n", env), "no D-Bus session bus");
    }
}

void TestKeysCli::busWithoutSecretServiceSaysSo()
{
    QTemporaryDir home;
    PrivateBus bus(QString(), QProcessEnvironment::systemEnvironment());
    QVERIFY(!bus.address().isEmpty());
    expectNoKeychain(run(keysSet(), "sk-ant-nowhere-2\n", headless(bus.address(), home.path())), "no Secret Service");
}

void TestKeysCli::keyringThatWantsAPromptIsNotPromptedHeadless()
{
    // A real gnome-keyring, started by the bus on demand without a password, as on a
    // headless login: no login keyring exists, and creating one takes a prompt. The
    // prompter is a stand-in that only records that it was asked for.
    const QString daemon = QStandardPaths::findExecutable(QStringLiteral("gnome-keyring-daemon"));
    QVERIFY2(!daemon.isEmpty(), "gnome-keyring-daemon missing (package gnome-keyring)");
    QTemporaryDir home, services;
    QVERIFY(QDir().mkpath(home.filePath(QStringLiteral(".local/share/keyrings"))));
    const QString prompted = home.filePath(QStringLiteral("prompter-was-started"));
    auto service = [&](const QString &name, const QString &exec) {
        QFile f(services.filePath(name + QStringLiteral(".service")));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QStringLiteral("[D-BUS Service]\nName=%1\nExec=%2\n").arg(name, exec).toUtf8());
    };
    service(QStringLiteral("org.freedesktop.secrets"),
            daemon + QStringLiteral(" --start --foreground --components=secrets"));
    service(QStringLiteral("org.gnome.keyring.SystemPrompter"),
            QStringLiteral("/bin/sh -c 'touch %1; exit 1'").arg(prompted));
    QProcessEnvironment env = headless(QString(), home.path());
    env.remove(QStringLiteral("DBUS_SESSION_BUS_ADDRESS")); // the bus tells its services its own
    PrivateBus bus(services.path(), env);
    QVERIFY(!bus.address().isEmpty());
    QProcessEnvironment clientEnv = env;
    clientEnv.insert(QStringLiteral("DBUS_SESSION_BUS_ADDRESS"), bus.address());
    expectNoKeychain(run(keysSet(), "sk-ant-nowhere-3\n", clientEnv), "cannot be shown without a display");
    QVERIFY2(!QFile::exists(prompted), "a GUI prompt was attempted without a display");
}

void TestKeysCli::keychainThatNeverAnswersTimesOut()
{
    QTemporaryDir home;
    PrivateBus bus(QString(), QProcessEnvironment::systemEnvironment());
    QVERIFY(!bus.address().isEmpty());
    // The test owns the Secret Service's name and never answers; while it waits for
    // the airlock process below, nothing here could answer anyway.
    QDBusConnection conn = QDBusConnection::connectToBus(bus.address(), QStringLiteral("keys-cli-silent"));
    QVERIFY(conn.isConnected());
    Silent silent;
    QVERIFY(conn.registerVirtualObject(QStringLiteral("/org/freedesktop/secrets"), &silent, QDBusConnection::SubPath));
    QVERIFY(conn.registerService(QStringLiteral("org.freedesktop.secrets")));
    QProcessEnvironment env = headless(bus.address(), home.path());
    env.insert(QStringLiteral("AIRLOCK_KEYCHAIN_TIMEOUT_MS"), QStringLiteral("1500"));
    expectNoKeychain(run(keysSet(), "sk-ant-nowhere-4\n", env), "did not answer");
    conn.unregisterObject(QStringLiteral("/org/freedesktop/secrets"));
    QDBusConnection::disconnectFromBus(QStringLiteral("keys-cli-silent"));
}

QTEST_GUILESS_MAIN(TestKeysCli)
#include "tst_keys_cli.moc"
