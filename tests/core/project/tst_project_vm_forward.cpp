// The project file's "vm": {"forward": […]}: guest ports as numbers or "GUEST:HOST"
// strings, each checked, a port named twice refused.

#include "core/project/ProjectConfig.h"

#include <QTest>

using namespace airlock;

class TestProjectVmForward final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void portsAndPairs();
    void refusals_data();
    void refusals();
};

void TestProjectVmForward::portsAndPairs()
{
    Result<ProjectConfig> c =
        ProjectConfig::parse(R"({"vm": {"forward": [5173, "8000:8080", "3000"]}})", QStringLiteral("airlock.json"));
    QVERIFY2(c, c ? "" : qPrintable(c.error().message));
    QCOMPARE(c->vm.forward.size(), 3);
    QVERIFY(c->vm.forward.at(0) == (ProjectVmForward{5173, 0}));
    QVERIFY(c->vm.forward.at(1) == (ProjectVmForward{8000, 8080}));
    QVERIFY(c->vm.forward.at(2) == (ProjectVmForward{3000, 0}));
    Result<ProjectConfig> none = ProjectConfig::parse(R"({"vm": {}})", QStringLiteral("airlock.json"));
    QVERIFY(none);
    QVERIFY(none->vm.forward.isEmpty());
}

void TestProjectVmForward::refusals_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("says");
    QTest::newRow("not an array") << QByteArray(R"({"vm": {"forward": 5173}})") << "vm.forward";
    QTest::newRow("zero") << QByteArray(R"({"vm": {"forward": [0]}})") << "vm.forward[0]";
    QTest::newRow("too large") << QByteArray(R"({"vm": {"forward": [70000]}})") << "vm.forward[0]";
    QTest::newRow("fraction") << QByteArray(R"({"vm": {"forward": [80.5]}})") << "vm.forward[0]";
    QTest::newRow("bad pair") << QByteArray(R"({"vm": {"forward": [80, "81:"]}})") << "vm.forward[1]";
    QTest::newRow("three parts") << QByteArray(R"({"vm": {"forward": ["1:2:3"]}})") << "vm.forward[0]";
    QTest::newRow("words") << QByteArray(R"({"vm": {"forward": ["http"]}})") << "vm.forward[0]";
    QTest::newRow("twice") << QByteArray(R"({"vm": {"forward": [5173, "5173:9000"]}})") << "a second time";
}

void TestProjectVmForward::refusals()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, says);
    Result<ProjectConfig> c = ProjectConfig::parse(json, QStringLiteral("airlock.json"));
    QVERIFY(!c);
    QVERIFY2(c.error().message.contains(says), qPrintable(c.error().message));
}

QTEST_GUILESS_MAIN(TestProjectVmForward)
#include "tst_project_vm_forward.moc"
