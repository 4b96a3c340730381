#include "agent/ProjectFile.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSaveFile>

namespace airlock {
namespace {

Result<QJsonObject> readProject(const QString &path)
{
    QFile f(path);
    if (!f.exists())
        return QJsonObject();
    if (!f.open(QIODevice::ReadOnly))
        return Error::make(Error::Code::Io, QStringLiteral("cannot read %1: %2").arg(path, f.errorString()));
    QJsonParseError err{};
    const QJsonDocument doc = QJsonDocument::fromJson(f.readAll(), &err);
    if (err.error != QJsonParseError::NoError || !doc.isObject())
        return Error::make(
            Error::Code::BadInput,
            QStringLiteral("%1 is not a JSON object: %2 (at offset %3)").arg(path, err.errorString()).arg(err.offset));
    return doc.object();
}

} // namespace

Status ProjectFile::applyTo(const QString &projectDir, AgentChoices &c)
{
    const QDir dir(projectDir);
    const QString path = dir.filePath(fileName());
    if (!QFile::exists(path))
        return Error::make(Error::Code::BadInput, QStringLiteral("%1 has no %2").arg(dir.absolutePath(), fileName()));
    auto project = readProject(path);
    if (!project)
        return project.error();
    const QJsonObject &p = *project;
    static const QStringList known{QStringLiteral("provider"),    QStringLiteral("model"),  QStringLiteral("base_url"),
                                   QStringLiteral("api_key_env"), QStringLiteral("tools"),  QStringLiteral("sandbox"),
                                   QStringLiteral("workspace"),   QStringLiteral("policy"), QStringLiteral("$schema")};
    for (auto it = p.begin(); it != p.end(); ++it)
        if (!known.contains(it.key()))
            return Error::make(Error::Code::BadInput, QStringLiteral("%1: unknown key \"%2\" (known: %3)")
                                                          .arg(path, it.key(), known.join(QStringLiteral(", "))));
    auto take = [&](QString &field, const char *key) {
        if (field.isEmpty())
            field = p.value(QLatin1String(key)).toString();
    };
    // The provider is only taken when the flags did not choose one.
    if (c.provider == QLatin1String("anthropic") && p.contains(QLatin1String("provider")))
        c.provider = p.value(QLatin1String("provider")).toString();
    take(c.model, "model");
    take(c.baseUrl, "base_url");
    take(c.apiKeyEnv, "api_key_env");
    take(c.sandbox, "sandbox");
    if (c.workspace.isEmpty() && p.contains(QLatin1String("workspace")))
        c.workspace = QDir::cleanPath(dir.absoluteFilePath(p.value(QLatin1String("workspace")).toString()));
    for (const QJsonValue &glob : p.value(QLatin1String("tools")).toArray()) {
        const QString pattern = glob.toString();
        const QFileInfo info(dir.absoluteFilePath(pattern));
        const QStringList matches = QDir(info.absolutePath()).entryList({info.fileName()}, QDir::Files, QDir::Name);
        if (matches.isEmpty())
            return Error::make(Error::Code::BadInput,
                               QStringLiteral("%1: tools pattern \"%2\" matches no file").arg(path, pattern));
        for (const QString &m : matches)
            c.toolFiles << QDir(info.absolutePath()).filePath(m);
    }
    c.projectRules = p.value(QLatin1String("policy")).toObject().value(QLatin1String("rules")).toArray();
    c.projectDir = dir.absolutePath();
    return {};
}

Status ProjectFile::addRule(const QString &projectDir, const QJsonObject &rule)
{
    const QString path = QDir(projectDir).filePath(fileName());
    auto project = readProject(path);
    if (!project)
        return project.error();
    QJsonObject policy = project->value(QLatin1String("policy")).toObject();
    QJsonArray rules = policy.value(QLatin1String("rules")).toArray();
    rules.prepend(rule);
    policy.insert(QStringLiteral("rules"), rules);
    project->insert(QStringLiteral("policy"), policy);
    // Atomic: a crash mid-write leaves the old file, never half a file.
    QSaveFile out(path);
    if (!out.open(QIODevice::WriteOnly))
        return Error::make(Error::Code::Io, QStringLiteral("cannot write %1: %2").arg(path, out.errorString()));
    out.write(QJsonDocument(*project).toJson(QJsonDocument::Indented));
    if (!out.commit())
        return Error::make(Error::Code::Io, QStringLiteral("cannot write %1: %2").arg(path, out.errorString()));
    return {};
}

} // namespace airlock
