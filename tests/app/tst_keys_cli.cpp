// `airlock keys` against the real Secret Service (gnome-keyring in a private D-Bus
// session, started by tests/support/with-secret-service.sh), then `airlock chat`
// finding the stored key by itself.

#include <QProcess>
#include <QTest>

class TestKeysCli final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void setStatusRemove();
    void emptyKeyIsRefused();

private:
    static int airlock(const QStringList &args, const QByteArray &input, QByteArray *out = nullptr,
                       QByteArray *err = nullptr)
    {
        QProcess p;
        p.start(QStringLiteral(AIRLOCK_BIN_DIR "/airlock"), args);
        p.write(input);
        p.closeWriteChannel();
        p.waitForFinished(30000);
        if (out)
            *out = p.readAllStandardOutput();
        if (err)
            *err = p.readAllStandardError();
        return p.exitCode();
    }
};

void TestKeysCli::setStatusRemove()
{
    QByteArray out, err;
    QCOMPARE(airlock({QStringLiteral("keys"), QStringLiteral("status"), QStringLiteral("anthropic")}, {}, &out), 1);
    QVERIFY(out.contains("no key"));
    QCOMPARE(airlock({QStringLiteral("keys"), QStringLiteral("set"), QStringLiteral("anthropic")},
                     "sk-ant-secret-value-1234\n", &out, &err),
             0);
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

QTEST_GUILESS_MAIN(TestKeysCli)
#include "tst_keys_cli.moc"
