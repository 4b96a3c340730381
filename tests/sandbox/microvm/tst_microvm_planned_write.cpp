// MicroVmSandbox::plannedWrite: the host file (and bytes) a write_file call would
// write, from the same guestPath mapping the sandbox runs the call with. The
// approval card shows its diff; nobody else maps tool paths to host files.

#include "sandbox/microvm/MicroVmSandbox.h"

#include <QJsonObject>
#include <QTest>

using namespace airlock;

class TestMicroVmPlannedWrite final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void writeFileNamesItsHostFileAndBytes_data();
    void writeFileNamesItsHostFileAndBytes();
    void pathsOutsideTheWorkspaceWriteNothing_data();
    void pathsOutsideTheWorkspaceWriteNothing();
    void base64ContentIsDecoded();
    void otherToolsWriteNothing();
};

void TestMicroVmPlannedWrite::writeFileNamesItsHostFileAndBytes_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("relative");
    QTest::newRow("relative") << "notes.txt"
                              << "notes.txt";
    QTest::newRow("guest absolute") << "/workspace/src/a.c"
                                    << "src/a.c";
    QTest::newRow("dot segments") << "src/../notes.txt"
                                  << "notes.txt";
    // As the guest sees it: a relative "workspace/x" is /workspace/workspace/x.
    QTest::newRow("relative workspace folder") << "workspace/x"
                                               << "workspace/x";
}

void TestMicroVmPlannedWrite::writeFileNamesItsHostFileAndBytes()
{
    QFETCH(QString, path);
    QFETCH(QString, relative);
    const auto write = MicroVmSandbox::plannedWrite(
        QStringLiteral("write_file"),
        {{QStringLiteral("path"), path}, {QStringLiteral("content"), QStringLiteral("é\n")}},
        QStringLiteral("/home/me/project"));
    QVERIFY(write.has_value());
    QCOMPARE(write->relativePath, relative);
    QCOMPARE(write->hostPath, QStringLiteral("/home/me/project/") + relative);
    QCOMPARE(write->content, QStringLiteral("é\n").toUtf8());
}

void TestMicroVmPlannedWrite::pathsOutsideTheWorkspaceWriteNothing_data()
{
    QTest::addColumn<QString>("path");
    QTest::newRow("absolute elsewhere") << "/etc/passwd";
    QTest::newRow("climbing out") << "../outside.txt";
    QTest::newRow("the workspace itself") << "/workspace";
    QTest::newRow("empty") << "";
    QTest::newRow("NUL") << QStringLiteral("a") + QChar(0) + QStringLiteral("b");
}

void TestMicroVmPlannedWrite::pathsOutsideTheWorkspaceWriteNothing()
{
    QFETCH(QString, path);
    QVERIFY(!MicroVmSandbox::plannedWrite(
                 QStringLiteral("write_file"),
                 {{QStringLiteral("path"), path}, {QStringLiteral("content"), QStringLiteral("x")}},
                 QStringLiteral("/home/me/project"))
                 .has_value());
}

void TestMicroVmPlannedWrite::base64ContentIsDecoded()
{
    const auto write = MicroVmSandbox::plannedWrite(
        QStringLiteral("write_file"),
        {{QStringLiteral("path"), QStringLiteral("b.bin")},
         {QStringLiteral("content_base64"), QString::fromLatin1(QByteArray("\x00\x01\xff", 3).toBase64())}},
        QStringLiteral("/w"));
    QVERIFY(write.has_value());
    QCOMPARE(write->content, QByteArray("\x00\x01\xff", 3));
}

void TestMicroVmPlannedWrite::otherToolsWriteNothing()
{
    const QJsonObject input{{QStringLiteral("path"), QStringLiteral("notes.txt")}};
    QVERIFY(!MicroVmSandbox::plannedWrite(QStringLiteral("read_file"), input, QStringLiteral("/w")).has_value());
    QVERIFY(!MicroVmSandbox::plannedWrite(QStringLiteral("remove_file"), input, QStringLiteral("/w")).has_value());
    QVERIFY(!MicroVmSandbox::plannedWrite(QStringLiteral("write_file"), input, QString()).has_value()); // no workspace
}

QTEST_GUILESS_MAIN(TestMicroVmPlannedWrite)
#include "tst_microvm_planned_write.moc"
