// Settings → Secrets against the real Secret Service (gnome-keyring in a private
// D-Bus session, tests/support/with-secret-service.sh): a value typed into the
// password field goes to the keychain as "secret:NAME" and leaves the field at
// once; the list shows names only, marks a name whose entry is gone, and forgets a
// removed one; the same index `airlock secrets list` reads.

#include "core/secrets/SecretIndex.h"
#include "core/secrets/SecretStore.h"
#include "ui/settings/SettingsDialog.h"

#include <QFile>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTest>

using namespace airlock;

namespace {

template <typename T>
T *child(QWidget &w, const char *name)
{
    T *c = w.findChild<T *>(QLatin1String(name));
    if (!c)
        qFatal("no child %s", name);
    return c;
}

} // namespace

class TestSettingsSecrets final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init();
    void storeListRemove();
    void badNamesAndEmptyValuesAreRefused();
};

void TestSettingsSecrets::init()
{
    if (qEnvironmentVariableIsEmpty("AIRLOCK_IN_SECRET_SESSION"))
        QSKIP("needs the private Secret Service of tests/support/with-secret-service.sh");
    QFile::remove(SecretIndex::defaultPath());
}

void TestSettingsSecrets::storeListRemove()
{
    const SecretStore store;
    SettingsDialog d;
    QTRY_COMPARE_WITH_TIMEOUT(d.secretsStatus(), QStringLiteral("No secrets stored."), 10000);
    QTabWidget *tabs = d.findChild<QTabWidget *>();
    QVERIFY(tabs);
    bool found = false;
    for (int i = 0; i < tabs->count(); ++i)
        found = found || tabs->tabText(i) == QLatin1String("Secrets");
    QVERIFY(found);

    QSignalSpy changed(&d, &SettingsDialog::secretsChanged);
    const QString value = QStringLiteral("ghp_settings_secret_value");
    child<QLineEdit>(d, "secretName")->setText(QStringLiteral("GITHUB_TOKEN"));
    child<QLineEdit>(d, "secretValue")->setText(value);
    QCOMPARE(child<QLineEdit>(d, "secretValue")->echoMode(), QLineEdit::Password);
    child<QPushButton>(d, "storeSecret")->click();
    QVERIFY(child<QLineEdit>(d, "secretValue")->text().isEmpty()); // gone from the field at once
    QTRY_COMPARE_WITH_TIMEOUT(d.secretsStatus(), QStringLiteral("GITHUB_TOKEN stored in the keychain"), 10000);
    QCOMPARE(d.secretRows(), QStringList{QStringLiteral("GITHUB_TOKEN — stored ✓")});
    QCOMPARE(store.read(QStringLiteral("secret:GITHUB_TOKEN")).value(), value);
    QCOMPARE(SecretIndex().names().value(), QStringList{QStringLiteral("GITHUB_TOKEN")});
    for (const QList<QVariant> &args : changed)
        QVERIFY(!args.first().toString().contains(value));

    // Gone from the keychain behind the window's back: a new dialog says so.
    QVERIFY(SecretIndex().add(QStringLiteral("GONE")).ok());
    SettingsDialog reopened;
    QTRY_COMPARE_WITH_TIMEOUT(reopened.secretsStatus(), QStringLiteral("2 secret(s) stored."), 10000);
    QCOMPARE(reopened.secretRows(),
             (QStringList{QStringLiteral("GITHUB_TOKEN — stored ✓"), QStringLiteral("GONE — not in the keychain")}));

    auto *list = child<QListWidget>(reopened, "secretList");
    list->setCurrentRow(0);
    QCOMPARE(child<QLineEdit>(reopened, "secretName")->text(), QStringLiteral("GITHUB_TOKEN"));
    child<QPushButton>(reopened, "removeSecret")->click();
    QTRY_COMPARE_WITH_TIMEOUT(reopened.secretsStatus(), QStringLiteral("GITHUB_TOKEN removed from the keychain"),
                              10000);
    QCOMPARE(reopened.secretRows(), QStringList{QStringLiteral("GONE — not in the keychain")});
    QCOMPARE(store.read(QStringLiteral("secret:GITHUB_TOKEN")).error().code, Error::Code::NotFound);
    list->setCurrentRow(0);
    child<QPushButton>(reopened, "removeSecret")->click();
    QTRY_COMPARE_WITH_TIMEOUT(reopened.secretsStatus(), QStringLiteral("GONE removed from the keychain"), 10000);
    QVERIFY(reopened.secretRows().isEmpty());
}

void TestSettingsSecrets::badNamesAndEmptyValuesAreRefused()
{
    SettingsDialog d;
    QTRY_COMPARE_WITH_TIMEOUT(d.secretsStatus(), QStringLiteral("No secrets stored."), 10000);
    child<QLineEdit>(d, "secretName")->setText(QStringLiteral("MY-TOKEN"));
    child<QLineEdit>(d, "secretValue")->setText(QStringLiteral("value-1234"));
    child<QPushButton>(d, "storeSecret")->click();
    QVERIFY2(d.secretsStatus().contains(QLatin1String("is not a secret name")), qPrintable(d.secretsStatus()));
    QCOMPARE(child<QLineEdit>(d, "secretValue")->text(), QStringLiteral("value-1234")); // kept to fix the name
    child<QLineEdit>(d, "secretName")->setText(QStringLiteral("MY_TOKEN"));
    child<QLineEdit>(d, "secretValue")->clear();
    child<QPushButton>(d, "storeSecret")->click();
    QCOMPARE(d.secretsStatus(), QStringLiteral("Type the value first."));
    QVERIFY(SecretIndex().names().value().isEmpty());
}

QTEST_MAIN(TestSettingsSecrets)
#include "tst_settings_secrets.moc"
