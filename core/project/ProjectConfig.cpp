#include "core/project/ProjectConfig.h"

#include "core/project/JsonPath.h"
#include "core/project/PolicyFile.h"
#include "core/util/DebianPackageName.h"

#include <QJsonObject>
#include <QRegularExpression>
#include <QUrl>

#include <algorithm>
#include <cmath>
#include <limits>

namespace airlock {

namespace {

// 5173, or "5173" / "5173:8080" (the guest's port, then the host's).
std::optional<ProjectVmForward> parseVmForward(const QJsonValue &v)
{
    auto port = [](double d) { return std::isfinite(d) && std::floor(d) == d && d >= 1 && d <= 65535; };
    ProjectVmForward f;
    if (v.isDouble()) {
        if (!port(v.toDouble()))
            return std::nullopt;
        f.guestPort = int(v.toDouble());
        return f;
    }
    if (!v.isString())
        return std::nullopt;
    const QStringList parts = v.toString().split(QLatin1Char(':'));
    if (parts.size() > 2)
        return std::nullopt;
    int values[2] = {0, 0};
    for (qsizetype i = 0; i < parts.size(); ++i) {
        bool ok = false;
        const int n = parts.at(i).toInt(&ok);
        if (!ok || !port(n) || parts.at(i) != QString::number(n))
            return std::nullopt;
        values[i] = n;
    }
    f.guestPort = values[0];
    f.hostPort = values[1];
    return f;
}

// Reads one object's keys with their exact types, collecting every problem.
class Reader {
public:
    Reader(const StrictJsonDocument &doc, const QString &source, QStringList &errors)
        : m_doc(doc), m_source(source), m_errors(errors)
    {
    }

    void error(const QString &path, const QString &message) { m_errors << m_doc.describe(m_source, path, message); }

    bool checkKeys(const QJsonObject &obj, const QString &path, const QStringList &known)
    {
        bool ok = true;
        for (auto it = obj.begin(); it != obj.end(); ++it) {
            if (!known.contains(it.key())) {
                error(jsonpath::key(path, it.key()),
                      QStringLiteral("unknown key \"%1\" (known: %2)").arg(it.key(), known.join(QStringLiteral(", "))));
                ok = false;
            }
        }
        return ok;
    }

    // A non-empty string, or nothing when absent.
    std::optional<QString> string(const QJsonObject &obj, const QString &parent, const char *key,
                                  const QStringList &oneOf = {})
    {
        const QJsonValue v = obj.value(QLatin1String(key));
        if (v.isUndefined())
            return std::nullopt;
        const QString path = jsonpath::key(parent, QLatin1String(key));
        if (!v.isString() || v.toString().isEmpty()) {
            error(path, QStringLiteral("must be a non-empty string, not %1").arg(typeName(v)));
            return std::nullopt;
        }
        if (!oneOf.isEmpty() && !oneOf.contains(v.toString())) {
            error(path, QStringLiteral("\"%1\" is not one of %2").arg(v.toString(), oneOf.join(QStringLiteral(", "))));
            return std::nullopt;
        }
        return v.toString();
    }

    // A whole number in [1, max]; JSON has one number type, so 2.5 or 1e300 is refused here.
    std::optional<qint64> positiveInteger(const QJsonObject &obj, const QString &parent, const char *key, qint64 max)
    {
        const QJsonValue v = obj.value(QLatin1String(key));
        if (v.isUndefined())
            return std::nullopt;
        const QString path = jsonpath::key(parent, QLatin1String(key));
        const double d = v.toDouble();
        if (!v.isDouble() || !std::isfinite(d) || std::floor(d) != d || d < 1 || d > double(max)) {
            error(path, QStringLiteral("must be a whole number from 1 to %1, not %2").arg(max).arg(shown(v)));
            return std::nullopt;
        }
        return qint64(d);
    }

    std::optional<double> positiveNumber(const QJsonObject &obj, const QString &parent, const char *key)
    {
        const QJsonValue v = obj.value(QLatin1String(key));
        if (v.isUndefined())
            return std::nullopt;
        const double d = v.toDouble();
        if (!v.isDouble() || !std::isfinite(d) || d <= 0 || d > 1e9) {
            error(jsonpath::key(parent, QLatin1String(key)),
                  QStringLiteral("must be a positive number, not %1").arg(shown(v)));
            return std::nullopt;
        }
        return d;
    }

    static QString typeName(const QJsonValue &v)
    {
        switch (v.type()) {
        case QJsonValue::Null:
            return QStringLiteral("null");
        case QJsonValue::Bool:
            return QStringLiteral("a boolean");
        case QJsonValue::Double:
            return QStringLiteral("a number");
        case QJsonValue::String:
            return v.toString().isEmpty() ? QStringLiteral("an empty string") : QStringLiteral("a string");
        case QJsonValue::Array:
            return QStringLiteral("an array");
        case QJsonValue::Object:
            return QStringLiteral("an object");
        case QJsonValue::Undefined:
            break;
        }
        return QStringLiteral("nothing");
    }

    static QString shown(const QJsonValue &v)
    {
        return v.isDouble() ? QString::number(v.toDouble(), 'g', 17) : typeName(v);
    }

private:
    const StrictJsonDocument &m_doc;
    const QString &m_source;
    QStringList &m_errors;
};

} // namespace

QStringList ProjectConfig::knownKeys()
{
    return {QStringLiteral("$schema"),     QStringLiteral("provider"),    QStringLiteral("model"),
            QStringLiteral("base_url"),    QStringLiteral("api_key_env"), QStringLiteral("tools"),
            QStringLiteral("sandbox"),     QStringLiteral("workspace"),   QStringLiteral("policy"),
            QStringLiteral("limits"),      QStringLiteral("vm"),          QStringLiteral("checkpoints"),
            QStringLiteral("email"),       QStringLiteral("egress"),      QStringLiteral("bindings"),
            QStringLiteral("secrets"),     QStringLiteral("browser"),     QStringLiteral("mcpServers"),
            QStringLiteral("model_images")};
}

Result<ProjectConfig> ProjectConfig::parse(const QByteArray &bytes, const QString &source)
{
    auto doc = StrictJson::parse(bytes, source);
    if (!doc)
        return doc.error();
    ProjectConfig config;
    config.document = std::move(*doc);
    const StrictJsonDocument &d = config.document;
    QStringList errors;
    Reader r(d, source, errors);
    if (!d.root.isObject()) {
        r.error(QString(),
                QStringLiteral("a project file is a JSON object {...}, not %1").arg(Reader::typeName(d.root)));
        return Error::make(Error::Code::BadInput, errors.join(u'\n'));
    }
    const QJsonObject p = d.root.toObject();
    r.checkKeys(p, QString(), knownKeys());

    r.string(p, QString(), "$schema");
    config.provider = r.string(p, QString(), "provider", {QStringLiteral("anthropic"), QStringLiteral("openai")});
    config.model = r.string(p, QString(), "model");
    config.baseUrl = r.string(p, QString(), "base_url");
    if (config.baseUrl) {
        const QUrl url(*config.baseUrl, QUrl::StrictMode);
        const QString scheme = url.scheme().toLower();
        if (!url.isValid() || (scheme != u"http" && scheme != u"https") || url.host().isEmpty())
            r.error(QStringLiteral("base_url"), QStringLiteral("\"%1\" is not an http(s) URL").arg(*config.baseUrl));
    }
    config.apiKeyEnv = r.string(p, QString(), "api_key_env");
    if (config.apiKeyEnv) {
        static const QRegularExpression name(QStringLiteral("^[A-Za-z_][A-Za-z0-9_]*$"));
        if (!name.match(*config.apiKeyEnv).hasMatch())
            r.error(QStringLiteral("api_key_env"),
                    QStringLiteral("\"%1\" is not an environment variable name").arg(*config.apiKeyEnv));
    }
    config.sandbox = r.string(p, QString(), "sandbox", {QStringLiteral("isolate"), QStringLiteral("microvm")});
    config.workspace = r.string(p, QString(), "workspace");
    if (p.contains(u"mcpServers")) {
        // Read whole (both shapes, ${VAR} expansion) by McpServerConfig when the
        // session is built; here only its type, so the file fails early and at its line.
        const QJsonValue servers = p.value(u"mcpServers");
        if (servers.isObject())
            config.mcpServers = servers.toObject();
        else
            r.error(QStringLiteral("mcpServers"),
                    QStringLiteral("must be an object {\"name\": {\"command\": …} | {\"type\": \"http\", "
                                   "\"url\": …}}, not %1")
                        .arg(Reader::typeName(servers)));
    }
    if (p.contains(u"browser")) {
        const QJsonValue browser = p.value(u"browser");
        if (browser.isBool())
            config.browser = browser.toBool();
        else
            r.error(QStringLiteral("browser"),
                    QStringLiteral("must be true or false (whether the agent gets the browser tools), not %1")
                        .arg(Reader::typeName(browser)));
    }

    if (p.contains(u"model_images")) {
        const QJsonValue images = p.value(u"model_images");
        if (images.isBool())
            config.modelImages = images.toBool();
        else
            r.error(QStringLiteral("model_images"),
                    QStringLiteral("must be true or false (whether the model is sent the screenshots tools make; false "
                                   "for a text-only model), not %1")
                        .arg(Reader::typeName(images)));
    }

    if (p.contains(u"tools")) {
        const QJsonValue tools = p.value(u"tools");
        if (!tools.isArray()) {
            r.error(QStringLiteral("tools"),
                    QStringLiteral("must be an array of file globs such as [\"tools/*.js\"], not %1")
                        .arg(Reader::typeName(tools)));
        } else {
            const QJsonArray list = tools.toArray();
            for (qsizetype i = 0; i < list.size(); ++i) {
                if (!list.at(i).isString() || list.at(i).toString().isEmpty())
                    r.error(jsonpath::index(QStringLiteral("tools"), i),
                            QStringLiteral("must be a non-empty file glob, not %1").arg(Reader::typeName(list.at(i))));
                else
                    config.tools << list.at(i).toString();
            }
        }
    }

    if (p.contains(u"policy")) {
        const QJsonValue policy = p.value(u"policy");
        if (!policy.isObject()) {
            r.error(QStringLiteral("policy"),
                    QStringLiteral("must be an object {\"rules\": [...]}, not %1").arg(Reader::typeName(policy)));
        } else {
            const QJsonObject po = policy.toObject();
            r.checkKeys(po, QStringLiteral("policy"), {QStringLiteral("rules"), QStringLiteral("read_only_tools")});
            if (po.contains(u"read_only_tools")) {
                const QString choice = po.value(u"read_only_tools").toString();
                if (!PolicyEngine::readOnlyToolsFromName(choice))
                    r.error(QStringLiteral("policy.read_only_tools"), QStringLiteral("must be \"run\" or \"ask\""));
                else
                    config.readOnlyTools = choice;
            }
            if (po.contains(u"rules")) {
                PolicyFile::parseRules(d, po.value(u"rules"), QStringLiteral("policy.rules"), source,
                                       config.policyRules, errors);
                if (po.value(u"rules").isArray())
                    config.rules = po.value(u"rules").toArray();
            }
        }
    }

    if (p.contains(u"limits")) {
        const QJsonValue limits = p.value(u"limits");
        if (!limits.isObject()) {
            r.error(QStringLiteral("limits"),
                    QStringLiteral("must be an object, not %1").arg(Reader::typeName(limits)));
        } else {
            const QJsonObject lo = limits.toObject();
            const QString at = QStringLiteral("limits");
            r.checkKeys(lo, at,
                        {QStringLiteral("max_turns"), QStringLiteral("token_budget"), QStringLiteral("cost_budget_usd"),
                         QStringLiteral("tool_timeout_ms"), QStringLiteral("workspace_quota_mb")});
            constexpr qint64 kMaxInt = std::numeric_limits<int>::max();
            constexpr qint64 kMaxExact = qint64(1) << 53; // beyond this a JSON number is not exact
            if (auto v = r.positiveInteger(lo, at, "max_turns", 100000))
                config.limits.maxTurns = int(*v);
            config.limits.tokenBudget = r.positiveInteger(lo, at, "token_budget", kMaxExact);
            config.limits.costBudgetUsd = r.positiveNumber(lo, at, "cost_budget_usd");
            if (auto v = r.positiveInteger(lo, at, "tool_timeout_ms", kMaxInt))
                config.limits.toolTimeoutMs = int(*v);
            config.limits.workspaceQuotaMb = r.positiveInteger(lo, at, "workspace_quota_mb", qint64(1) << 40);
        }
    }

    if (p.contains(u"vm")) {
        const QJsonValue vm = p.value(u"vm");
        if (!vm.isObject()) {
            r.error(QStringLiteral("vm"), QStringLiteral("must be an object, not %1").arg(Reader::typeName(vm)));
        } else {
            const QJsonObject vo = vm.toObject();
            const QString at = QStringLiteral("vm");
            r.checkKeys(vo, at,
                        {QStringLiteral("image"), QStringLiteral("packages"), QStringLiteral("memory_mb"),
                         QStringLiteral("cpus"), QStringLiteral("disk_gb"), QStringLiteral("forward")});
            config.vm.image = r.string(vo, at, "image", {QStringLiteral("debian"), QStringLiteral("busybox")});
            if (vo.contains(u"packages")) {
                const QJsonValue pk = vo.value(u"packages");
                const QString ppath = jsonpath::key(at, QStringLiteral("packages"));
                if (!pk.isArray()) {
                    r.error(ppath, QStringLiteral("must be an array of Debian package names such as [\"nodejs\"], "
                                                  "not %1")
                                       .arg(Reader::typeName(pk)));
                } else {
                    const QJsonArray list = pk.toArray();
                    for (qsizetype i = 0; i < list.size(); ++i) {
                        const QString ipath = jsonpath::index(ppath, i);
                        if (!list.at(i).isString()) {
                            r.error(ipath,
                                    QStringLiteral("must be a string, not %1").arg(Reader::typeName(list.at(i))));
                        } else if (Status s = checkDebianPackageName(list.at(i).toString()); !s) {
                            r.error(ipath, s.error().message);
                        } else {
                            config.vm.packages << list.at(i).toString();
                        }
                    }
                }
            }
            if (config.vm.image == QLatin1String("busybox") && !config.vm.packages.isEmpty())
                r.error(QStringLiteral("vm.image"),
                        QStringLiteral("the busybox guest has no packages: use \"debian\" or drop vm.packages"));
            if (auto v = r.positiveInteger(vo, at, "memory_mb", 1 << 20)) {
                if (*v < 128)
                    r.error(jsonpath::key(at, QStringLiteral("memory_mb")),
                            QStringLiteral("must be at least 128 (a Linux guest needs it), not %1").arg(*v));
                else
                    config.vm.memoryMb = int(*v);
            }
            if (auto v = r.positiveInteger(vo, at, "cpus", 64))
                config.vm.cpus = int(*v);
            if (auto v = r.positiveInteger(vo, at, "disk_gb", 4096))
                config.vm.diskGb = int(*v);
            if (vo.contains(u"forward")) {
                const QJsonValue fw = vo.value(u"forward");
                const QString fpath = jsonpath::key(at, QStringLiteral("forward"));
                if (!fw.isArray()) {
                    r.error(fpath, QStringLiteral("must be an array of guest ports such as [5173] or "
                                                  "[\"5173:8080\"], not %1")
                                       .arg(Reader::typeName(fw)));
                } else {
                    const QJsonArray list = fw.toArray();
                    for (qsizetype i = 0; i < list.size(); ++i) {
                        const QString ipath = jsonpath::index(fpath, i);
                        const QJsonValue v = list.at(i);
                        std::optional<ProjectVmForward> f = parseVmForward(v);
                        if (!f) {
                            r.error(ipath, QStringLiteral("must be a port from 1 to 65535, or \"GUEST:HOST\" "
                                                          "such as \"5173:8080\", not %1")
                                               .arg(Reader::shown(v)));
                        } else if (std::any_of(
                                       config.vm.forward.begin(), config.vm.forward.end(),
                                       [&](const ProjectVmForward &o) { return o.guestPort == f->guestPort; })) {
                            r.error(ipath,
                                    QStringLiteral("forwards the guest's port %1 a second time").arg(f->guestPort));
                        } else {
                            config.vm.forward << *f;
                        }
                    }
                }
            }
        }
    }

    if (p.contains(u"checkpoints")) {
        const QJsonValue checkpoints = p.value(u"checkpoints");
        if (!checkpoints.isObject()) {
            r.error(QStringLiteral("checkpoints"),
                    QStringLiteral("must be an object {\"max_count\": 50, \"max_mb\": 512}, not %1")
                        .arg(Reader::typeName(checkpoints)));
        } else {
            const QJsonObject co = checkpoints.toObject();
            const QString at = QStringLiteral("checkpoints");
            r.checkKeys(co, at, {QStringLiteral("max_count"), QStringLiteral("max_mb")});
            if (auto v = r.positiveInteger(co, at, "max_count", 100000))
                config.checkpoints.maxCount = int(*v);
            config.checkpoints.maxMb = r.positiveInteger(co, at, "max_mb", qint64(1) << 30);
        }
    }

    if (p.contains(u"secrets")) {
        static const QRegularExpression identifier(QStringLiteral("^[A-Za-z_][A-Za-z0-9_]*$"));
        const QJsonValue secrets = p.value(u"secrets");
        if (!secrets.isObject()) {
            r.error(QStringLiteral("secrets"),
                    QStringLiteral("must be an object {\"NAME\": {\"env\": \"VAR\"} or {}}, not %1")
                        .arg(Reader::typeName(secrets)));
        } else {
            const QJsonObject so = secrets.toObject();
            for (auto it = so.begin(); it != so.end(); ++it) {
                const QString at = jsonpath::key(QStringLiteral("secrets"), it.key());
                if (!identifier.match(it.key()).hasMatch()) {
                    r.error(at, QStringLiteral("\"%1\" is not a secret name (letters, digits and _, not starting "
                                               "with a digit)")
                                    .arg(it.key()));
                    continue;
                }
                if (!it.value().isObject()) {
                    r.error(at, QStringLiteral("must be an object: {\"env\": \"VAR\"} to read the value from an "
                                               "environment variable, {} for the keychain; not %1")
                                    .arg(Reader::typeName(it.value())));
                    continue;
                }
                const QJsonObject one = it.value().toObject();
                if (!r.checkKeys(one, at, {QStringLiteral("env")}))
                    continue;
                ProjectSecret secret;
                if (auto env = r.string(one, at, "env")) {
                    if (!identifier.match(*env).hasMatch()) {
                        r.error(jsonpath::key(at, QStringLiteral("env")),
                                QStringLiteral("\"%1\" is not an environment variable name").arg(*env));
                        continue;
                    }
                    secret.env = *env;
                } else if (one.contains(u"env")) {
                    continue; // its error is reported
                }
                config.secrets.insert(it.key(), secret);
            }
        }
    }

    QList<EgressProblem> egressProblems;
    config.egress = EgressPolicy::fromProject(p, egressProblems);
    for (const EgressProblem &problem : egressProblems)
        r.error(problem.path, problem.message);

    if (!errors.isEmpty())
        return Error::make(Error::Code::BadInput, errors.join(u'\n'));
    return config;
}

} // namespace airlock
