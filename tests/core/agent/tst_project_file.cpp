// airlock.json: what a project says, flags winning over it, typos refused, and
// project approvals written back atomically in front of the existing rules.

#include "agent/ProjectFile.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QTest>

using namespace airlock;

class TestProjectFile final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void readsTheProject();
    void flagsWin();
    void typosAndMissingFilesAreErrors();
    void addRulePutsItFirstAndKeepsTheRest();

private:
    static void write(const QString &path, const QByteArray &content)
    {
        QDir().mkpath(QFileInfo(path).absolutePath());
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(content);
    }
};

void TestProjectFile::readsTheProject()
{
    QTemporaryDir dir;
    write(dir.filePath(QStringLiteral("tools/a.js")), "defineTool({name:'a', run: () => 1})");
    write(dir.filePath(QStringLiteral("tools/b.js")), "defineTool({name:'b', run: () => 2})");
    write(dir.filePath(QStringLiteral("airlock.json")), R"({
      "provider": "openai", "model": "llama3.1", "base_url": "http://127.0.0.1:11434/v1",
      "tools": ["tools/*.js"], "sandbox": "microvm", "workspace": "src",
      "policy": {"rules": [{"name": "r1", "tool": "a", "decision": "allow"}]}})");
    AgentChoices c;
    QVERIFY(ProjectFile::applyTo(dir.path(), c).ok());
    QCOMPARE(c.provider, QStringLiteral("openai"));
    QCOMPARE(c.model, QStringLiteral("llama3.1"));
    QCOMPARE(c.baseUrl, QStringLiteral("http://127.0.0.1:11434/v1"));
    QCOMPARE(c.toolFiles,
             (QStringList{dir.filePath(QStringLiteral("tools/a.js")), dir.filePath(QStringLiteral("tools/b.js"))}));
    QCOMPARE(c.sandbox, QStringLiteral("microvm"));
    QCOMPARE(c.workspace, dir.filePath(QStringLiteral("src")));
    QCOMPARE(c.projectRules.size(), 1);
    QCOMPARE(c.projectDir, dir.path());
}

void TestProjectFile::flagsWin()
{
    QTemporaryDir dir;
    write(dir.filePath(QStringLiteral("airlock.json")), R"({"model": "from-file", "sandbox": "microvm"})");
    AgentChoices c;
    c.model = QStringLiteral("from-flag");
    QVERIFY(ProjectFile::applyTo(dir.path(), c).ok());
    QCOMPARE(c.model, QStringLiteral("from-flag"));
    QCOMPARE(c.sandbox, QStringLiteral("microvm"));
}

void TestProjectFile::typosAndMissingFilesAreErrors()
{
    QTemporaryDir dir;
    AgentChoices c;
    Status s = ProjectFile::applyTo(dir.path(), c);
    QVERIFY(!s.ok());
    QVERIFY(s.error().message.contains(QLatin1String("airlock.json")));
    write(dir.filePath(QStringLiteral("airlock.json")), R"({"polciy": {"rules": []}})");
    s = ProjectFile::applyTo(dir.path(), c);
    QVERIFY(!s.ok());
    QVERIFY(s.error().message.contains(QLatin1String("polciy")));
    write(dir.filePath(QStringLiteral("airlock.json")), R"({"tools": ["missing/*.js"]})");
    QVERIFY(ProjectFile::applyTo(dir.path(), c).error().message.contains(QLatin1String("matches no file")));
    write(dir.filePath(QStringLiteral("airlock.json")), "{ not json");
    QCOMPARE(ProjectFile::applyTo(dir.path(), c).error().code, Error::Code::BadInput);
}

void TestProjectFile::addRulePutsItFirstAndKeepsTheRest()
{
    QTemporaryDir dir;
    write(dir.filePath(QStringLiteral("airlock.json")),
          R"({"model": "m", "policy": {"rules": [{"name": "old", "tool": "x", "decision": "deny"}]}})");
    QVERIFY(ProjectFile::addRule(dir.path(), QJsonObject{{QStringLiteral("name"), QStringLiteral("new")},
                                                         {QStringLiteral("tool"), QStringLiteral("y")},
                                                         {QStringLiteral("decision"), QStringLiteral("allow")}})
                .ok());
    AgentChoices c;
    QVERIFY(ProjectFile::applyTo(dir.path(), c).ok());
    QCOMPARE(c.model, QStringLiteral("m"));
    QCOMPARE(c.projectRules.size(), 2);
    QCOMPARE(c.projectRules[0].toObject().value(QLatin1String("name")).toString(), QStringLiteral("new"));
    QCOMPARE(c.projectRules[1].toObject().value(QLatin1String("name")).toString(), QStringLiteral("old"));
}

QTEST_GUILESS_MAIN(TestProjectFile)
#include "tst_project_file.moc"
