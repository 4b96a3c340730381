#include "core/agent/ProjectFile.h"

#include "core/project/ProjectConfig.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSaveFile>

namespace airlock {
namespace {

Result<QByteArray> readBytes(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return Error::make(Error::Code::Io, QStringLiteral("cannot read %1: %2").arg(path, f.errorString()));
    return f.read(StrictJson::kMaxBytes + 1); // one byte over is enough to refuse it
}

// The project file as it is, to be edited. A file that does not read cleanly is
// never rewritten: its rules may be the very ones the mistake hides, and a rewrite
// would make the loss permanent.
Result<ProjectConfig> readToEdit(const QString &path)
{
    auto bytes = readBytes(path);
    if (!bytes)
        return bytes.error();
    auto config = ProjectConfig::parse(*bytes, path);
    if (!config)
        return Error::make(Error::Code::BadInput,
                           QStringLiteral("not changing %1 until it is fixed:\n%2").arg(path, config.error().message));
    return config;
}

Status writeAtomically(const QString &path, const QByteArray &bytes)
{
    // Atomic: a crash mid-write leaves the old file, never half a file.
    QSaveFile out(path);
    if (!out.open(QIODevice::WriteOnly))
        return Error::make(Error::Code::Io, QStringLiteral("cannot write %1: %2").arg(path, out.errorString()));
    out.write(bytes);
    if (!out.commit())
        return Error::make(Error::Code::Io, QStringLiteral("cannot write %1: %2").arg(path, out.errorString()));
    return {};
}

QByteArray indentOfLine(const QByteArray &text, qsizetype offset)
{
    qsizetype start = offset;
    while (start > 0 && text[start - 1] != '\n')
        --start;
    qsizetype end = start;
    while (end < offset && (text[end] == ' ' || text[end] == '\t'))
        ++end;
    return text.mid(start, end - start);
}

// `rule` put first in the project's rules by editing the text, so the rest of
// the file (its order, layout, other keys) is left exactly as the user wrote it.
QByteArray withRuleFirst(const StrictJsonDocument &doc, const QByteArray &ruleJson)
{
    QByteArray text = doc.text;
    const QJsonObject root = doc.root.toObject();
    const auto rules = doc.offsets.constFind(QStringLiteral("policy.rules"));
    if (rules != doc.offsets.cend()) {
        const qsizetype open = *rules; // '['
        const bool empty = root.value(u"policy").toObject().value(u"rules").toArray().isEmpty();
        const QByteArray outer = indentOfLine(text, open);
        QByteArray indent = outer + "    ";
        if (!empty) {
            const qsizetype first = doc.offsets.value(QStringLiteral("policy.rules[0]"));
            const QByteArray lead = indentOfLine(text, first);
            qsizetype lineStart = first;
            while (lineStart > 0 && text[lineStart - 1] != '\n')
                --lineStart;
            if (lineStart + lead.size() == first) // the first rule starts its own line
                indent = lead;
        }
        text.insert(open + 1, "\n" + indent + ruleJson + (empty ? "\n" + outer : QByteArray(",")));
        return text;
    }
    const QByteArray rulesJson = "\"rules\": [" + ruleJson + "]";
    const auto policy = doc.offsets.constFind(QStringLiteral("policy"));
    if (policy != doc.offsets.cend()) { // "policy": {} (its only key is "rules")
        text.insert(*policy + 1, rulesJson);
        return text;
    }
    const qsizetype top = doc.offsets.value(QString());
    const QByteArray member = "\"policy\": {" + rulesJson + "}";
    text.insert(top + 1, "\n    " + member + (root.isEmpty() ? QByteArray("\n") : QByteArray(",")));
    return text;
}

// `members` ("\"name\": {…}" each) added to the object at `path` (or, when the
// file has none, as a new top-level member `path` holding them), by editing the text.
QByteArray withMembers(const StrictJsonDocument &doc, const QString &path, const QList<QByteArray> &members)
{
    QByteArray text = doc.text;
    const auto at = doc.offsets.constFind(path);
    if (at != doc.offsets.cend()) {
        const qsizetype open = *at; // '{'
        const bool empty = doc.root.toObject().value(path).toObject().isEmpty();
        const QByteArray outer = indentOfLine(text, open);
        const QByteArray indent = outer + "    ";
        QByteArray insert;
        for (const QByteArray &m : members)
            insert += "\n" + indent + m + ",";
        if (empty) { // no comma after the last: it is the only member
            insert.chop(1);
            insert += "\n" + outer;
        }
        text.insert(open + 1, insert);
        return text;
    }
    // Indented as the file's own top-level members are (four spaces in an empty file).
    const QJsonObject root = doc.root.toObject();
    QByteArray indent = "    ";
    if (!root.isEmpty())
        if (const QByteArray own = indentOfLine(text, doc.offsets.value(root.begin().key())); !own.isEmpty())
            indent = own;
    QByteArray block = "\"" + path.toUtf8() + "\": {";
    for (const QByteArray &m : members)
        block += "\n" + indent + indent + m + ",";
    block.chop(1);
    block += "\n" + indent + "}";
    const qsizetype top = doc.offsets.value(QString());
    text.insert(top + 1, "\n" + indent + block + (root.isEmpty() ? QByteArray("\n") : QByteArray(",")));
    return text;
}

} // namespace

Status ProjectFile::applyTo(const QString &projectDir, AgentChoices &c)
{
    const QDir dir(projectDir);
    const QString path = dir.filePath(fileName());
    if (!QFileInfo(path).isFile())
        return Error::make(Error::Code::BadInput, QStringLiteral("%1 has no %2").arg(dir.absolutePath(), fileName()));
    auto bytes = readBytes(path);
    if (!bytes)
        return bytes.error();
    auto parsed = ProjectConfig::parse(*bytes, path);
    if (!parsed)
        return parsed.error();
    const ProjectConfig &p = *parsed;

    // Fields already chosen by flags win. The provider is only taken when the
    // flags did not choose one.
    if (c.provider == QLatin1String("anthropic") && p.provider)
        c.provider = *p.provider;
    auto take = [](QString &field, const std::optional<QString> &value) {
        if (field.isEmpty() && value)
            field = *value;
    };
    take(c.model, p.model);
    take(c.baseUrl, p.baseUrl);
    take(c.apiKeyEnv, p.apiKeyEnv);
    take(c.sandbox, p.sandbox);
    if (c.workspace.isEmpty() && p.workspace)
        c.workspace = QDir::cleanPath(dir.absoluteFilePath(*p.workspace));
    QStringList toolFiles;
    for (qsizetype i = 0; i < p.tools.size(); ++i) {
        const QString &pattern = p.tools[i];
        const QFileInfo info(dir.absoluteFilePath(pattern));
        const QStringList matches = QDir(info.absolutePath()).entryList({info.fileName()}, QDir::Files, QDir::Name);
        if (matches.isEmpty())
            return Error::make(Error::Code::BadInput,
                               p.document.describe(path, QStringLiteral("tools[%1]").arg(i),
                                                   QStringLiteral("pattern \"%1\" matches no file").arg(pattern)));
        for (const QString &m : matches)
            toolFiles << QDir(info.absolutePath()).filePath(m);
    }
    c.toolFiles << toolFiles;
    if (c.maxTurns <= 0 && p.limits.maxTurns)
        c.maxTurns = *p.limits.maxTurns;
    if (c.maxTotalTokens <= 0 && p.limits.tokenBudget)
        c.maxTotalTokens = *p.limits.tokenBudget;
    if (c.maxCostUsd <= 0 && p.limits.costBudgetUsd)
        c.maxCostUsd = *p.limits.costBudgetUsd;
    if (c.toolTimeoutMs <= 0 && p.limits.toolTimeoutMs)
        c.toolTimeoutMs = *p.limits.toolTimeoutMs;
    if (!c.workspaceQuotaMb && p.limits.workspaceQuotaMb)
        c.workspaceQuotaMb = p.limits.workspaceQuotaMb;
    if (c.vm.image.isEmpty() && p.vm.image)
        c.vm.image = *p.vm.image;
    if (c.vm.packages.isEmpty())
        c.vm.packages = p.vm.packages;
    for (auto [field, value] : {std::pair{&c.vm.memoryMb, p.vm.memoryMb}, std::pair{&c.vm.cpus, p.vm.cpus},
                                std::pair{&c.vm.diskGb, p.vm.diskGb}})
        if (*field <= 0 && value)
            *field = *value;
    if (!c.checkpointMaxCount && p.checkpoints.maxCount)
        c.checkpointMaxCount = p.checkpoints.maxCount;
    if (!c.checkpointMaxMb && p.checkpoints.maxMb)
        c.checkpointMaxMb = p.checkpoints.maxMb;
    c.projectRules = p.rules;
    c.egress = p.egress; // only a project file says what may leave
    if (p.browser)
        c.browser = *p.browser;
    if (p.modelImages)
        c.modelImages = *p.modelImages;
    c.mcpServers = p.mcpServers;
    for (auto it = p.secrets.begin(); it != p.secrets.end(); ++it)
        c.secretEnv.insert(it.key(), it.value().env);
    if (!p.readOnlyTools.isEmpty())
        c.readOnlyTools = p.readOnlyTools; // the project's policy over the settings'
    c.projectDir = dir.absolutePath();
    return {};
}

Status ProjectFile::addRule(const QString &projectDir, const QJsonObject &rule)
{
    const QString path = QDir(projectDir).filePath(fileName());
    if (auto valid = PolicyRule::fromJson(rule, QStringLiteral("new rule")); !valid)
        return Error::make(Error::Code::BadInput,
                           QStringLiteral("%1: not adding an invalid rule: %2").arg(path, valid.error().message));
    const QByteArray ruleJson = QJsonDocument(rule).toJson(QJsonDocument::Compact);
    if (!QFile::exists(path))
        return writeAtomically(
            path, QJsonDocument(
                      QJsonObject{{QStringLiteral("policy"), QJsonObject{{QStringLiteral("rules"), QJsonArray{rule}}}}})
                      .toJson(QJsonDocument::Indented));
    auto config = readToEdit(path);
    if (!config)
        return config.error();
    const QByteArray updated = withRuleFirst(config->document, ruleJson);
    // The edit is checked like any hand edit: still strict, the rule first, the rest kept.
    auto check = ProjectConfig::parse(updated, path);
    if (!check || check->rules.size() != config->rules.size() + 1 || check->rules.first().toObject() != rule)
        return Error::make(Error::Code::Internal,
                           QStringLiteral("%1: adding the rule would not leave a valid file; not written").arg(path));
    return writeAtomically(path, updated);
}

} // namespace airlock

namespace airlock {

Result<QStringList> ProjectFile::addMcpServers(const QString &projectDir, const QJsonObject &servers)
{
    const QString path = QDir(projectDir).filePath(fileName());
    if (!QFile::exists(path)) {
        if (servers.isEmpty())
            return QStringList();
        if (Status s = writeAtomically(
                path,
                QJsonDocument(QJsonObject{{QStringLiteral("mcpServers"), servers}}).toJson(QJsonDocument::Indented));
            !s)
            return s.error();
        return QStringList();
    }
    auto config = readToEdit(path);
    if (!config)
        return config.error();
    QStringList kept;
    QList<QByteArray> members;
    QJsonObject expected = config->mcpServers;
    for (auto it = servers.begin(); it != servers.end(); ++it) {
        if (config->mcpServers.contains(it.key())) {
            kept << it.key();
            continue;
        }
        const QByteArray name = QJsonDocument(QJsonArray{it.key()}).toJson(QJsonDocument::Compact).mid(1).chopped(1);
        members << name + ": " + QJsonDocument(it.value().toObject()).toJson(QJsonDocument::Compact);
        expected.insert(it.key(), it.value());
    }
    if (members.isEmpty())
        return kept;
    const QByteArray updated = withMembers(config->document, QStringLiteral("mcpServers"), members);
    auto check = ProjectConfig::parse(updated, path);
    if (!check || check->mcpServers != expected)
        return Error::make(
            Error::Code::Internal,
            QStringLiteral("%1: adding the servers would not leave a valid file; not written").arg(path));
    if (Status s = writeAtomically(path, updated); !s)
        return s.error();
    return kept;
}

} // namespace airlock
