// `airlock chat --sandbox microvm` end to end: the real binary, the fake Anthropic
// server, a real VM sharing a workspace. Each call's changes to the workspace are
// recorded as file.changed events with their diffs, before the call's result.

#include "tests/core/providers/FakeModelServer.h"
#include "tests/support/AnthropicScript.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using airlock::test::AnthropicScript;
using airlock::test::FakeModelServer;
using airlock::test::FakeResponse;

class TestVmChat final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void everyCallsWorkspaceChangesAreRecorded();
};

void TestVmChat::everyCallsWorkspaceChangesAreRecorded()
{
    QTemporaryDir data, ws;
    QVERIFY(data.isValid() && ws.isValid());
    auto write = [&](const QString &name, const QByteArray &bytes) {
        QFile f(ws.filePath(name));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(bytes);
    };
    write(QStringLiteral("notes.txt"), "one\ntwo\nthree\n");
    write(QStringLiteral("old.txt"), "to be removed\n");
    write(QStringLiteral("same.txt"), "untouched\n");

    FakeModelServer server;
    server.enqueue(FakeResponse::sse(
        AnthropicScript()
            .toolUse(QStringLiteral("toolu_sh"), QStringLiteral("exec"),
                     {{QStringLiteral("command"),
                       QStringLiteral("sed -i s/two/TWO/ notes.txt && rm old.txt && mkdir -p sub && "
                                      "printf 'new\\n' > sub/new.txt && printf '\\000\\001' > blob.bin")}})
            .toolUse(QStringLiteral("toolu_w"), QStringLiteral("write_file"),
                     {{QStringLiteral("path"), QStringLiteral("sub/new.txt")},
                      {QStringLiteral("content"), QStringLiteral("new\nand more\n")}})
            .toolUse(QStringLiteral("toolu_r"), QStringLiteral("read_file"),
                     {{QStringLiteral("path"), QStringLiteral("same.txt")}})
            .end(QStringLiteral("tool_use"))));
    server.enqueue(FakeResponse::sse(AnthropicScript().text(QStringLiteral("done")).end(QStringLiteral("end_turn"))));

    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("XDG_DATA_HOME"), data.path());
    env.insert(QStringLiteral("AIRLOCK_TEST_KEY"), QStringLiteral("sk-ant-test"));
    env.insert(QStringLiteral("no_proxy"), QStringLiteral("127.0.0.1,localhost"));
    env.remove(QStringLiteral("DBUS_SESSION_BUS_ADDRESS"));
    p.setProcessEnvironment(env);
    p.start(QStringLiteral(AIRLOCK_BIN_DIR "/airlock"),
            {QStringLiteral("chat"), QStringLiteral("--base-url"), server.baseUrl(), QStringLiteral("--model"),
             QStringLiteral("claude-sonnet-4-5"), QStringLiteral("--api-key-env"), QStringLiteral("AIRLOCK_TEST_KEY"),
             QStringLiteral("--sandbox"), QStringLiteral("microvm"), QStringLiteral("--workspace"), ws.path(),
             QStringLiteral("--auto-approve"), QStringLiteral("--json"), QStringLiteral("change some files")});
    p.closeWriteChannel();
    QVERIFY(p.waitForFinished(240000));
    const QByteArray err = p.readAllStandardError();
    QVERIFY2(p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0, err.constData());

    // call id → [path change (+added −removed)], and where each call's result came.
    QMap<QString, QStringList> changed;
    QMap<QString, QJsonObject> diffs;
    QStringList order;
    for (const QByteArray &line : p.readAllStandardOutput().split('\n')) {
        const QJsonObject e = QJsonDocument::fromJson(line).object();
        const QJsonObject payload = e.value(QLatin1String("payload")).toObject();
        const QString kind = e.value(QLatin1String("kind")).toString();
        const QString call = payload.value(QLatin1String("call_id")).toString();
        if (kind == QLatin1String("file.changed")) {
            changed[call] << QStringLiteral("%1 %2 (+%3 -%4)")
                                 .arg(payload.value(QLatin1String("path")).toString(),
                                      payload.value(QLatin1String("change")).toString())
                                 .arg(payload.value(QLatin1String("added")).toInt())
                                 .arg(payload.value(QLatin1String("removed")).toInt());
            diffs[call + QLatin1Char(':') + payload.value(QLatin1String("path")).toString()] = payload;
            order << QStringLiteral("changed:") + call;
        } else if (kind == QLatin1String("exec.finished")) {
            QVERIFY2(payload.value(QLatin1String("ok")).toBool(), line.constData());
            order << QStringLiteral("finished:") + call;
        }
    }
    QCOMPARE(changed.value(QStringLiteral("toolu_sh")),
             (QStringList{QStringLiteral("blob.bin created (+0 -0)"), QStringLiteral("notes.txt modified (+1 -1)"),
                          QStringLiteral("old.txt deleted (+0 -1)"), QStringLiteral("sub/new.txt created (+1 -0)")}));
    QVERIFY(diffs.value(QStringLiteral("toolu_sh:blob.bin")).value(QLatin1String("binary")).toBool());
    QVERIFY(diffs.value(QStringLiteral("toolu_sh:notes.txt"))
                .value(QLatin1String("diff"))
                .toString()
                .contains(QLatin1String("-two\n+TWO")));
    QCOMPARE(changed.value(QStringLiteral("toolu_w")), QStringList{QStringLiteral("sub/new.txt modified (+1 -0)")});
    QVERIFY(!changed.contains(QStringLiteral("toolu_r"))); // reading changes nothing
    // Changes come before their call's result.
    QVERIFY(order.indexOf(QStringLiteral("changed:toolu_sh")) < order.indexOf(QStringLiteral("finished:toolu_sh")));
    QVERIFY(order.lastIndexOf(QStringLiteral("changed:toolu_sh")) < order.indexOf(QStringLiteral("finished:toolu_sh")));
}

QTEST_GUILESS_MAIN(TestVmChat)
#include "tst_vm_chat.moc"
