#include "app/McpCommand.h"

#include "app/CliOutput.h"
#include "core/agent/ProjectFile.h"
#include "core/mcp/McpClient.h"
#include "core/mcp/McpSandbox.h"
#include "core/mcp/McpServerConfig.h"
#include "core/project/ProjectConfig.h"
#include "core/project/StrictJson.h"
#include "core/secrets/SecretResolver.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>

#include <utility>

namespace airlock {
namespace {

constexpr int kUsage = 2;
constexpr int kFailed = 1;

int failWith(const Error &e)
{
    return CliOutput::fail(e.code == Error::Code::BadInput ? kUsage : kFailed, e.message);
}

// What the server answered or failed to: never bad usage, whatever its error's code.
int serverFailed(const Error &e)
{
    return CliOutput::fail(kFailed, e.message);
}

QString compact(const QJsonValue &v)
{
    return QString::fromUtf8(v.isObject() ? QJsonDocument(v.toObject()).toJson(QJsonDocument::Compact)
                             : v.isArray()
                                 ? QJsonDocument(v.toArray()).toJson(QJsonDocument::Compact)
                                 : QJsonDocument(QJsonArray{v}).toJson(QJsonDocument::Compact).mid(1).chopped(1));
}

QString firstLine(const QString &text)
{
    return text.section(u'\n', 0, 0).trimmed();
}

// A command line split as a POSIX shell splits words: blanks separate, '…' is
// literal, "…" keeps \\ \" \$ \` escapes, a backslash outside quotes escapes the
// next character. Nothing is expanded.
Result<QStringList> shellWords(const QString &line)
{
    QStringList words;
    QString word;
    bool inWord = false;
    for (qsizetype i = 0; i < line.size(); ++i) {
        const QChar c = line.at(i);
        if (c == u'\'') {
            const qsizetype end = line.indexOf(u'\'', i + 1);
            if (end < 0)
                return Error::make(Error::Code::BadInput, QStringLiteral("--stdio: a ' is not closed"));
            word += line.mid(i + 1, end - i - 1);
            inWord = true;
            i = end;
        } else if (c == u'"') {
            qsizetype j = i + 1;
            for (; j < line.size() && line.at(j) != u'"'; ++j) {
                if (line.at(j) == u'\\' && j + 1 < line.size() && QStringLiteral("\\\"$`").contains(line.at(j + 1)))
                    ++j;
                word += line.at(j);
            }
            if (j >= line.size())
                return Error::make(Error::Code::BadInput, QStringLiteral("--stdio: a \" is not closed"));
            inWord = true;
            i = j;
        } else if (c == u'\\' && i + 1 < line.size()) {
            word += line.at(++i);
            inWord = true;
        } else if (c.isSpace()) {
            if (inWord)
                words << std::exchange(word, QString());
            inWord = false;
        } else {
            word += c;
            inWord = true;
        }
    }
    if (inWord)
        words << word;
    return words;
}

// The server the options name: --stdio, --url or --server (exactly one).
Result<McpServerConfig> chosenServer(const ParsedCommandLine &args)
{
    const int chosen = int(args.isSet(QStringLiteral("stdio"))) + int(args.isSet(QStringLiteral("url"))) +
                       int(args.isSet(QStringLiteral("server")));
    if (chosen != 1)
        return Error::make(Error::Code::BadInput,
                           QStringLiteral("name the server with exactly one of --stdio \"CMD ARGS\", --url URL or "
                                          "--server NAME"));
    McpServerConfig c;
    if (args.isSet(QStringLiteral("stdio"))) {
        auto split = shellWords(args.value(QStringLiteral("stdio")));
        if (!split)
            return split.error();
        const QStringList words = *split;
        if (words.isEmpty())
            return Error::make(Error::Code::BadInput, QStringLiteral("--stdio needs a command"));
        c.name = QFileInfo(words.first()).fileName();
        c.command = words.first();
        c.args = words.mid(1);
        return c;
    }
    if (args.isSet(QStringLiteral("url"))) {
        c.transport = McpServerConfig::Transport::Http;
        c.url = QUrl(args.value(QStringLiteral("url")), QUrl::StrictMode);
        if (!c.url.isValid() || (c.url.scheme() != u"http" && c.url.scheme() != u"https") || c.url.host().isEmpty())
            return Error::make(Error::Code::BadInput,
                               QStringLiteral("--url %1 is not an http(s) URL").arg(args.value(QStringLiteral("url"))));
        c.name = c.url.host();
        for (const QString &h : args.values(QStringLiteral("header"))) {
            const qsizetype colon = h.indexOf(u':');
            if (colon <= 0)
                return Error::make(Error::Code::BadInput,
                                   QStringLiteral("--header \"%1\" is not \"Name: value\"").arg(h));
            c.headers.append({h.left(colon).trimmed().toLower().toUtf8(), h.mid(colon + 1).trimmed().toUtf8()});
        }
        // "Authorization: Bearer ${secret:NAME}": from the keychain, not the shell history.
        if (Status resolved = c.resolveSecrets(SecretResolver().asEgressResolver()); !resolved)
            return resolved.error();
        return c;
    }
    const QString name = args.value(QStringLiteral("server"));
    const QString dir = args.value(QStringLiteral("project"), QStringLiteral("."));
    const QString path = QDir(dir).filePath(ProjectFile::fileName());
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return Error::make(Error::Code::BadInput, QStringLiteral("cannot read %1: %2").arg(path, f.errorString()));
    auto project = ProjectConfig::parse(f.read(StrictJson::kMaxBytes + 1), path);
    if (!project)
        return project.error();
    auto servers = McpServerConfig::fromJson(project->mcpServers, QStringLiteral("mcpServers"));
    if (!servers)
        return Error::make(Error::Code::BadInput, QStringLiteral("%1: %2").arg(path, servers.error().message));
    QStringList names;
    for (McpServerConfig &s : *servers) {
        if (s.name == name) {
            if (Status resolved = s.resolveSecrets(SecretResolver::fromProject(project->secrets).asEgressResolver());
                !resolved)
                return resolved.error();
            return s;
        }
        names << s.name;
    }
    return Error::make(Error::Code::BadInput,
                       QStringLiteral("%1 has no MCP server \"%2\" (it has: %3)")
                           .arg(path, name, names.isEmpty() ? QStringLiteral("none") : names.join(u", ")));
}

// Every page of a list request ("tools" come from McpClient::listTools).
Result<QJsonArray> listAll(McpClient &client, const QString &method, const QString &field, int timeoutMs)
{
    QJsonArray all;
    QString cursor;
    for (int page = 0; page < 1000; ++page) {
        QJsonObject params;
        if (!cursor.isEmpty())
            params.insert(QStringLiteral("cursor"), cursor);
        McpCallOptions o;
        o.timeoutMs = timeoutMs;
        auto r = client.request(method, params, o);
        if (!r)
            return r.error();
        for (const QJsonValue &v : r->value(field).toArray())
            all.append(v);
        cursor = r->value(u"nextCursor").toString();
        if (cursor.isEmpty())
            return all;
    }
    return Error::make(Error::Code::Io, QStringLiteral("%1: more than 1000 pages").arg(method));
}

int printJson(const QJsonValue &v)
{
    CliOutput::outLine(compact(v));
    return 0;
}

int tools(McpClient &client, bool json)
{
    auto listed = client.listTools();
    if (!listed)
        return serverFailed(listed.error());
    QJsonArray raw;
    for (const McpTool &t : *listed) {
        raw.append(t.raw);
        if (json)
            continue;
        QStringList hints;
        const QJsonObject a = t.annotations;
        if (a.value(u"readOnlyHint").toBool())
            hints << QStringLiteral("read-only");
        if (a.value(u"destructiveHint").toBool())
            hints << QStringLiteral("destructive");
        if (a.value(u"openWorldHint").toBool())
            hints << QStringLiteral("open world");
        const QString about = firstLine(t.description.isEmpty() ? t.title : t.description);
        CliOutput::outLine(t.name + (about.isEmpty() ? QString() : QStringLiteral("  ") + about) +
                           (hints.isEmpty() ? QString() : QStringLiteral("  [%1]").arg(hints.join(u", "))));
    }
    return json ? printJson(raw) : 0;
}

int call(McpClient &client, const ParsedCommandLine &args, int timeoutMs, bool json)
{
    if (args.positional.isEmpty())
        return CliOutput::badUsage(QStringLiteral("mcp"), QStringLiteral("mcp call needs a TOOL"));
    QJsonObject arguments;
    if (args.positional.size() > 1) {
        QJsonParseError e{};
        const QJsonDocument doc = QJsonDocument::fromJson(args.positional.at(1).toUtf8(), &e);
        if (e.error != QJsonParseError::NoError || !doc.isObject())
            return CliOutput::badUsage(
                QStringLiteral("mcp"),
                QStringLiteral("ARGS must be a JSON object: %1")
                    .arg(e.error != QJsonParseError::NoError ? e.errorString() : QStringLiteral("not an object")));
        arguments = doc.object();
    }
    McpCallOptions o;
    o.timeoutMs = timeoutMs;
    o.progress = [](double progress, double total, const QString &message) {
        CliOutput::errLine(QStringLiteral("progress %1%2%3")
                               .arg(progress)
                               .arg(total > 0 ? QStringLiteral("/%1").arg(total) : QString())
                               .arg(message.isEmpty() ? QString() : QStringLiteral(" ") + message));
    };
    auto result = client.callTool(args.positional.first(), arguments, o);
    if (!result)
        return serverFailed(result.error());
    if (json)
        CliOutput::outLine(compact(result->raw));
    else
        CliOutput::outLine(result->toText());
    return result->isError ? kFailed : 0;
}

int resources(McpClient &client, int timeoutMs, bool json)
{
    if (!client.serverInfo().capabilities.contains(u"resources"))
        return CliOutput::fail(kFailed, QStringLiteral("the server offers no resources"));
    auto listed = listAll(client, QStringLiteral("resources/list"), QStringLiteral("resources"), timeoutMs);
    if (!listed)
        return serverFailed(listed.error());
    auto templates =
        listAll(client, QStringLiteral("resources/templates/list"), QStringLiteral("resourceTemplates"), timeoutMs);
    if (json)
        return printJson(QJsonObject{{QStringLiteral("resources"), *listed},
                                     {QStringLiteral("resourceTemplates"), templates ? *templates : QJsonArray()}});
    for (const QJsonValue &v : *listed) {
        const QJsonObject r = v.toObject();
        const QString mime = r.value(u"mimeType").toString();
        CliOutput::outLine(r.value(u"uri").toString() + QStringLiteral("  ") + r.value(u"name").toString() +
                           (mime.isEmpty() ? QString() : QStringLiteral("  (%1)").arg(mime)));
    }
    if (templates)
        for (const QJsonValue &v : *templates) {
            const QJsonObject t = v.toObject();
            CliOutput::outLine(t.value(u"uriTemplate").toString() + QStringLiteral("  ") + t.value(u"name").toString() +
                               QStringLiteral("  (template)"));
        }
    return 0;
}

int read(McpClient &client, const ParsedCommandLine &args, int timeoutMs, bool json)
{
    if (args.positional.size() != 1)
        return CliOutput::badUsage(QStringLiteral("mcp"), QStringLiteral("mcp read needs one URI"));
    McpCallOptions o;
    o.timeoutMs = timeoutMs;
    auto r = client.request(QStringLiteral("resources/read"), {{QStringLiteral("uri"), args.positional.first()}}, o);
    if (!r)
        return serverFailed(r.error());
    if (json)
        return printJson(*r);
    for (const QJsonValue &v : r->value(u"contents").toArray()) {
        const QJsonObject c = v.toObject();
        if (c.contains(u"text"))
            CliOutput::outLine(c.value(u"text").toString());
        else
            CliOutput::outLine(
                QStringLiteral("[%1: %2, %3 bytes of binary data]")
                    .arg(c.value(u"uri").toString(), c.value(u"mimeType").toString(QStringLiteral("no type")))
                    .arg(McpToolResult::base64Bytes(c.value(u"blob").toString())));
    }
    return 0;
}

int prompts(McpClient &client, int timeoutMs, bool json)
{
    if (!client.serverInfo().capabilities.contains(u"prompts"))
        return CliOutput::fail(kFailed, QStringLiteral("the server offers no prompts"));
    auto listed = listAll(client, QStringLiteral("prompts/list"), QStringLiteral("prompts"), timeoutMs);
    if (!listed)
        return serverFailed(listed.error());
    if (json)
        return printJson(*listed);
    for (const QJsonValue &v : *listed) {
        const QJsonObject p = v.toObject();
        QStringList arguments;
        for (const QJsonValue &a : p.value(u"arguments").toArray())
            arguments << a.toObject().value(u"name").toString() +
                             (a.toObject().value(u"required").toBool() ? QStringLiteral(" (required)") : QString());
        const QString about = firstLine(p.value(u"description").toString());
        CliOutput::outLine(
            p.value(u"name").toString() + (about.isEmpty() ? QString() : QStringLiteral("  ") + about) +
            (arguments.isEmpty() ? QString() : QStringLiteral("  [arguments: %1]").arg(arguments.join(u", "))));
    }
    return 0;
}

// Where Claude Desktop and Claude Code keep their servers on this machine.
QString defaultConfigFile(const QString &from)
{
    if (from == QLatin1String("claude-code"))
        return QDir::home().filePath(QStringLiteral(".claude.json"));
#ifdef Q_OS_MACOS
    return QDir::home().filePath(QStringLiteral("Library/Application Support/Claude/claude_desktop_config.json"));
#else
    const QString config = qEnvironmentVariable("XDG_CONFIG_HOME", QDir::home().filePath(QStringLiteral(".config")));
    return QDir(config).filePath(QStringLiteral("Claude/claude_desktop_config.json"));
#endif
}

int import(const ParsedCommandLine &args)
{
    if (args.positional.size() > 1)
        return CliOutput::badUsage(QStringLiteral("mcp"), QStringLiteral("mcp import takes at most one FILE"));
    const QString from = args.value(QStringLiteral("from"), QStringLiteral("claude-desktop"));
    if (from != QLatin1String("claude-desktop") && from != QLatin1String("claude-code"))
        return CliOutput::badUsage(QStringLiteral("mcp"),
                                   QStringLiteral("--from is claude-desktop or claude-code, not \"%1\"").arg(from));
    const QString file = args.positional.isEmpty() ? defaultConfigFile(from) : args.positional.first();
    const QString projectDir = QFileInfo(args.value(QStringLiteral("project"), QStringLiteral("."))).absoluteFilePath();
    QFile f(file);
    if (!f.open(QIODevice::ReadOnly))
        return CliOutput::fail(kUsage, QStringLiteral("cannot read %1: %2%3")
                                           .arg(file, f.errorString(),
                                                args.positional.isEmpty()
                                                    ? QStringLiteral(" (name the config file: airlock mcp import FILE)")
                                                    : QString()));
    auto imported = McpCommand::importable(f.read(StrictJson::kMaxBytes + 1), file, projectDir);
    if (!imported)
        return failWith(imported.error());
    QJsonObject servers = imported->servers;
    const QStringList only = args.values(QStringLiteral("only"));
    for (const QString &note : std::as_const(imported->notes)) // first: they say why a server is missing
        if (only.isEmpty() || only.contains(note.section(u':', 0, 0)))
            CliOutput::errLine(QStringLiteral("airlock: ") + note);
    for (const QString &name : only)
        if (!servers.contains(name))
            return CliOutput::fail(kUsage, QStringLiteral("%1 has no MCP server \"%2\" to import").arg(file, name));
    if (!only.isEmpty())
        for (const QString &name : servers.keys())
            if (!only.contains(name))
                servers.remove(name);
    if (servers.isEmpty())
        return CliOutput::fail(kFailed, QStringLiteral("%1: no MCP server to import").arg(file));
    if (args.isSet(QStringLiteral("dry-run"))) {
        CliOutput::outLine(QString::fromUtf8(
            QJsonDocument(QJsonObject{{QStringLiteral("mcpServers"), servers}}).toJson(QJsonDocument::Indented)));
        return 0;
    }
    auto kept = ProjectFile::addMcpServers(projectDir, servers);
    if (!kept)
        return failWith(kept.error());
    for (const QString &name : servers.keys())
        if (!kept->contains(name))
            CliOutput::outLine(QStringLiteral("imported %1").arg(name));
    for (const QString &name : std::as_const(*kept))
        CliOutput::errLine(QStringLiteral("airlock: %1 is in %2 already: left as it is")
                               .arg(name, QDir(projectDir).filePath(ProjectFile::fileName())));
    return 0;
}

} // namespace

Result<McpCommand::Imported> McpCommand::importable(const QByteArray &configText, const QString &configPath,
                                                    const QString &projectDir)
{
    QJsonParseError e{};
    const QJsonDocument doc = QJsonDocument::fromJson(configText, &e);
    if (e.error != QJsonParseError::NoError)
        return Error::make(
            Error::Code::BadInput,
            QStringLiteral("%1 is not JSON (at byte %2: %3)").arg(configPath).arg(e.offset).arg(e.errorString()));
    if (!doc.isObject())
        return Error::make(Error::Code::BadInput, QStringLiteral("%1: not a JSON object").arg(configPath));
    const QJsonObject root = doc.object();
    QJsonObject found = root.value(u"mcpServers").toObject();
    // Claude Code keeps a project's own servers under its absolute path.
    const QJsonObject project = root.value(u"projects")
                                    .toObject()
                                    .value(QDir::cleanPath(projectDir))
                                    .toObject()
                                    .value(u"mcpServers")
                                    .toObject();
    for (auto it = project.begin(); it != project.end(); ++it)
        found.insert(it.key(), it.value());
    Imported out;
    const QStringList dropped{QStringLiteral("autoApprove"), QStringLiteral("alwaysAllow")};
    static const QRegularExpression variable(QStringLiteral("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*)?\\}"));
    for (auto it = found.begin(); it != found.end(); ++it) {
        if (!it.value().isObject()) {
            out.notes << QStringLiteral("%1: left out: not an object").arg(it.key());
            continue;
        }
        QJsonObject server = it.value().toObject();
        if (server.contains(u"disabled")) {
            const bool disabled = server.take(QStringLiteral("disabled")).toBool();
            if (disabled)
                server.insert(QStringLiteral("enabled"), false);
        }
        for (const QString &key : dropped)
            if (server.contains(key)) {
                server.remove(key);
                out.notes << QStringLiteral("%1: \"%2\" dropped: Airlock's policy rules say which calls run unasked")
                                 .arg(it.key(), key);
            }
        // Checked as the project file will be read, with every variable it names set
        // (they are looked up when a session starts, not now).
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        const QString text = compact(server);
        for (auto m = variable.globalMatch(text); m.hasNext();) {
            const QString name = m.next().captured(1);
            if (!env.contains(name)) // a value any field takes, a URL's too
                env.insert(name, QStringLiteral("http://placeholder.invalid/"));
        }
        auto checked = McpServerConfig::fromJson(QJsonObject{{it.key(), server}}, QStringLiteral("mcpServers"), env);
        if (!checked) {
            out.notes << QStringLiteral("%1: left out: %2").arg(it.key(), checked.error().message);
            continue;
        }
        // A key written into the config as it is would now be in the project file,
        // which is usually committed: said, with the way to keep it out.
        const auto literal = [&](const QString &where, const QString &key, const QString &value) {
            static const QRegularExpression secretish(QStringLiteral("token|key|secret|password|passwd|auth|bearer"),
                                                      QRegularExpression::CaseInsensitiveOption);
            if (!value.contains(QLatin1String("${")) && !value.isEmpty() && secretish.match(key).hasMatch())
                out.notes << QStringLiteral("%1: %2.%3 holds a value as written, now in the project file; keep it "
                                            "in the keychain instead (airlock secrets set NAME) and write "
                                            "${secret:NAME} there")
                                 .arg(it.key(), where, key);
        };
        const QJsonObject envs = server.value(u"env").toObject();
        for (auto e = envs.begin(); e != envs.end(); ++e)
            literal(QStringLiteral("env"), e.key(), e.value().toString());
        const QJsonObject headers = server.value(u"headers").toObject();
        for (auto h = headers.begin(); h != headers.end(); ++h)
            literal(QStringLiteral("headers"), h.key(), h.value().toString());
        out.servers.insert(it.key(), server);
    }
    return out;
}

int McpCommand::run(const ParsedCommandLine &args)
{
    const QString &sub = args.subcommand;
    if (sub == QLatin1String("import"))
        return import(args);
    auto config = chosenServer(args);
    if (!config)
        return config.error().code == Error::Code::BadInput
                   ? CliOutput::badUsage(QStringLiteral("mcp"), config.error().message)
                   : failWith(config.error());
    bool ok = false;
    const int timeoutMs = args.value(QStringLiteral("timeout-ms"), QStringLiteral("30000")).toInt(&ok);
    if (!ok || timeoutMs <= 0)
        return CliOutput::badUsage(QStringLiteral("mcp"), QStringLiteral("--timeout-ms takes a positive number"));
    const bool json = args.isSet(QStringLiteral("json"));
    McpClientOptions options;
    options.serverName = config->name;
    options.roots << QDir::currentPath();
    options.requestTimeoutMs = timeoutMs;
    if (args.isSet(QStringLiteral("verbose")))
        options.log = [](const QString &line) { CliOutput::errLine(line); };
    McpClient client(McpSandbox::makeTransport(*config), options);
    if (Status s = client.connect(); !s)
        return serverFailed(s.error());
    int status = 0;
    if (sub == QLatin1String("tools"))
        status = tools(client, json);
    else if (sub == QLatin1String("call"))
        status = call(client, args, timeoutMs, json);
    else if (sub == QLatin1String("resources"))
        status = resources(client, timeoutMs, json);
    else if (sub == QLatin1String("read"))
        status = read(client, args, timeoutMs, json);
    else
        status = prompts(client, timeoutMs, json);
    client.close();
    return status;
}

} // namespace airlock
