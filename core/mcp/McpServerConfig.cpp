#include "core/mcp/McpServerConfig.h"

#include "core/mcp/McpToolNames.h"
#include "core/project/JsonPath.h"

#include <QHash>
#include <QJsonArray>
#include <QJsonObject>
#include <QRegularExpression>

#include <cctype>

namespace airlock {

namespace {

QString typeName(const QJsonValue &v)
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
    default:
        return QStringLiteral("nothing");
    }
}

bool isVarName(QStringView name)
{
    if (name.isEmpty() || name[0].isDigit())
        return false;
    for (QChar c : name)
        if (!(c.isLetterOrNumber() && c.unicode() < 128) && c != u'_')
            return false;
    return true;
}

class Reader {
public:
    Reader(const QProcessEnvironment &env, QStringList &errors) : m_env(env), m_errors(errors) {}

    void error(const QString &path, const QString &message) { m_errors << path + QStringLiteral(": ") + message; }

    // A string with ${…} expanded; nothing (and an error) otherwise.
    std::optional<QString> string(const QJsonValue &v, const QString &path, bool nonEmpty)
    {
        if (!v.isString() || (nonEmpty && v.toString().isEmpty())) {
            error(path, QStringLiteral("must be a %1string, not %2")
                            .arg(nonEmpty ? QStringLiteral("non-empty ") : QString(), typeName(v)));
            return std::nullopt;
        }
        auto expanded = McpServerConfig::expand(v.toString(), m_env);
        if (!expanded) {
            error(path, expanded.error().message);
            return std::nullopt;
        }
        return *expanded;
    }

    std::optional<QMap<QString, QString>> stringMap(const QJsonValue &v, const QString &path)
    {
        if (!v.isObject()) {
            error(path, QStringLiteral("must be an object of strings, not %1").arg(typeName(v)));
            return std::nullopt;
        }
        QMap<QString, QString> out;
        bool ok = true;
        const QJsonObject o = v.toObject();
        for (auto it = o.begin(); it != o.end(); ++it) {
            if (auto s = string(it.value(), jsonpath::key(path, it.key()), false))
                out.insert(it.key(), *s);
            else
                ok = false;
        }
        return ok ? std::optional(out) : std::nullopt;
    }

private:
    const QProcessEnvironment &m_env;
    QStringList &m_errors;
};

} // namespace

Result<QString> McpServerConfig::expand(const QString &text, const QProcessEnvironment &environment)
{
    QString out;
    out.reserve(text.size());
    qsizetype i = 0;
    while (i < text.size()) {
        const qsizetype open = text.indexOf(QStringLiteral("${"), i);
        if (open < 0) {
            out += QStringView(text).sliced(i);
            break;
        }
        out += QStringView(text).sliced(i, open - i);
        const qsizetype close = text.indexOf(u'}', open + 2);
        if (close < 0)
            return Error::make(Error::Code::BadInput,
                               QStringLiteral("\"${\" at character %1 is not closed with \"}\"").arg(open + 1));
        const QString inner = text.mid(open + 2, close - open - 2);
        i = close + 1;
        if (inner.startsWith(QLatin1String("secret:"))) {
            out += QStringView(text).sliced(open, close + 1 - open); // resolved where secrets are
            continue;
        }
        const qsizetype dash = inner.indexOf(QLatin1String(":-"));
        const QString name = dash < 0 ? inner : inner.left(dash);
        if (!isVarName(name))
            return Error::make(Error::Code::BadInput,
                               QStringLiteral("\"${%1}\" does not name an environment variable (write ${NAME} or "
                                              "${NAME:-default})")
                                   .arg(inner));
        if (environment.contains(name) && !(dash >= 0 && environment.value(name).isEmpty()))
            out += environment.value(name);
        else if (dash >= 0)
            out += inner.mid(dash + 2); // as in the shell, an empty value takes the default too
        else
            return Error::make(Error::Code::BadInput,
                               QStringLiteral("the environment variable %1 is not set (set it, or give a default: "
                                              "${%1:-value})")
                                   .arg(name));
    }
    return out;
}

Result<QList<McpServerConfig>> McpServerConfig::fromJson(const QJsonValue &mcpServers, const QString &at,
                                                         const QProcessEnvironment &environment)
{
    QStringList errors;
    Reader r(environment, errors);
    if (!mcpServers.isObject())
        return Error::make(
            Error::Code::BadInput,
            QStringLiteral("%1: must be an object of servers by name, not %2").arg(at, typeName(mcpServers)));
    const QJsonObject servers = mcpServers.toObject();
    QList<McpServerConfig> out;
    QHash<QString, QString> prefixes; // sanitized name → the server that has it
    const QStringList stdioKeys{QStringLiteral("type"), QStringLiteral("command"), QStringLiteral("args"),
                                QStringLiteral("env"),  QStringLiteral("cwd"),     QStringLiteral("enabled")};
    const QStringList httpKeys{QStringLiteral("type"), QStringLiteral("url"), QStringLiteral("headers"),
                               QStringLiteral("enabled")};
    for (auto it = servers.begin(); it != servers.end(); ++it) {
        const QString path = jsonpath::key(at, it.key());
        if (it.key().trimmed().isEmpty()) {
            r.error(path, QStringLiteral("a server needs a name"));
            continue;
        }
        const QString prefix = McpToolNames::sanitize(it.key()).left(24);
        if (prefixes.contains(prefix)) {
            r.error(path, QStringLiteral("the server names \"%1\" and \"%2\" would give their tools the same names "
                                         "(%3__…); rename one")
                              .arg(prefixes.value(prefix), it.key(), prefix));
            continue;
        }
        prefixes.insert(prefix, it.key());
        if (!it.value().isObject()) {
            r.error(path, QStringLiteral("must be an object ({\"command\": …} or {\"type\": \"http\", \"url\": …}), "
                                         "not %1")
                              .arg(typeName(it.value())));
            continue;
        }
        const QJsonObject o = it.value().toObject();
        McpServerConfig c;
        c.name = it.key();
        bool ok = true;
        QString type;
        if (o.contains(QLatin1String("type"))) {
            const QJsonValue t = o.value(QLatin1String("type"));
            type = t.toString();
            if (!t.isString() || !(type == QLatin1String("stdio") || type == QLatin1String("http") ||
                                   type == QLatin1String("streamable-http") || type == QLatin1String("sse"))) {
                r.error(jsonpath::key(path, QStringLiteral("type")),
                        QStringLiteral("must be \"stdio\" or \"http\", not %1")
                            .arg(t.isString() ? QStringLiteral("\"%1\"").arg(type) : typeName(t)));
                continue;
            }
            if (type == QLatin1String("sse")) {
                r.error(jsonpath::key(path, QStringLiteral("type")),
                        QStringLiteral("\"sse\" (the older HTTP+SSE transport) is not supported; most servers also "
                                       "speak Streamable HTTP: try \"http\" with the server's /mcp URL"));
                continue;
            }
        } else {
            type = o.contains(QLatin1String("url")) && !o.contains(QLatin1String("command")) ? QStringLiteral("http")
                                                                                             : QStringLiteral("stdio");
        }
        c.transport = type == QLatin1String("stdio") ? Transport::Stdio : Transport::Http;
        const QStringList &known = c.transport == Transport::Stdio ? stdioKeys : httpKeys;
        for (auto k = o.begin(); k != o.end(); ++k) {
            if (!known.contains(k.key())) {
                r.error(jsonpath::key(path, k.key()),
                        QStringLiteral("unknown key \"%1\" for a%2 server (known: %3)")
                            .arg(k.key(),
                                 c.transport == Transport::Stdio ? QStringLiteral(" stdio") : QStringLiteral("n http"),
                                 known.join(QStringLiteral(", "))));
                ok = false;
            }
        }
        if (o.contains(QLatin1String("enabled"))) {
            const QJsonValue e = o.value(QLatin1String("enabled"));
            if (!e.isBool()) {
                r.error(jsonpath::key(path, QStringLiteral("enabled")),
                        QStringLiteral("must be true or false, not %1").arg(typeName(e)));
                ok = false;
            }
            c.enabled = e.toBool(true);
        }
        if (c.transport == Transport::Stdio) {
            if (!o.contains(QLatin1String("command"))) {
                r.error(path, QStringLiteral("a stdio server needs \"command\" (the program to start)"));
                ok = false;
            } else if (auto cmd = r.string(o.value(QLatin1String("command")),
                                           jsonpath::key(path, QStringLiteral("command")), true)) {
                c.command = *cmd;
            } else {
                ok = false;
            }
            if (o.contains(QLatin1String("args"))) {
                const QString apath = jsonpath::key(path, QStringLiteral("args"));
                const QJsonValue a = o.value(QLatin1String("args"));
                if (!a.isArray()) {
                    r.error(apath, QStringLiteral("must be an array of strings, not %1").arg(typeName(a)));
                    ok = false;
                } else {
                    const QJsonArray list = a.toArray();
                    for (qsizetype i = 0; i < list.size(); ++i) {
                        if (auto s = r.string(list.at(i), jsonpath::index(apath, i), false))
                            c.args << *s;
                        else
                            ok = false;
                    }
                }
            }
            if (o.contains(QLatin1String("env"))) {
                if (auto env = r.stringMap(o.value(QLatin1String("env")), jsonpath::key(path, QStringLiteral("env"))))
                    c.env = *env;
                else
                    ok = false;
            }
            if (o.contains(QLatin1String("cwd"))) {
                if (auto cwd =
                        r.string(o.value(QLatin1String("cwd")), jsonpath::key(path, QStringLiteral("cwd")), true))
                    c.cwd = *cwd;
                else
                    ok = false;
            }
        } else {
            const QString upath = jsonpath::key(path, QStringLiteral("url"));
            if (!o.contains(QLatin1String("url"))) {
                r.error(path, QStringLiteral("an http server needs \"url\" (its MCP endpoint, e.g. "
                                             "https://example.com/mcp)"));
                ok = false;
            } else if (auto url = r.string(o.value(QLatin1String("url")), upath, true)) {
                c.url = QUrl(*url, QUrl::StrictMode);
                if (!c.url.isValid() || c.url.host().isEmpty() ||
                    (c.url.scheme() != QLatin1String("http") && c.url.scheme() != QLatin1String("https"))) {
                    r.error(upath, QStringLiteral("\"%1\" is not an http:// or https:// URL").arg(*url));
                    ok = false;
                }
            } else {
                ok = false;
            }
            if (o.contains(QLatin1String("headers"))) {
                const QString hpath = jsonpath::key(path, QStringLiteral("headers"));
                if (auto headers = r.stringMap(o.value(QLatin1String("headers")), hpath)) {
                    for (auto h = headers->cbegin(); h != headers->cend(); ++h) {
                        const QByteArray name = h.key().toLatin1().toLower();
                        bool token = !name.isEmpty();
                        for (char ch : name)
                            token = token && (std::isalnum(static_cast<unsigned char>(ch)) ||
                                              QByteArrayView("!#$%&'*+-.^_`|~").contains(ch));
                        if (!token || h.value().contains(u'\n') || h.value().contains(u'\r')) {
                            r.error(jsonpath::key(hpath, h.key()),
                                    QStringLiteral("is not a valid HTTP header (a name of letters, digits and -, a "
                                                   "value on one line)"));
                            ok = false;
                            continue;
                        }
                        c.headers.append({name, h.value().toUtf8()});
                    }
                } else {
                    ok = false;
                }
            }
        }
        if (ok)
            out << c;
    }
    if (!errors.isEmpty())
        return Error::make(Error::Code::BadInput, errors.join(u'\n'));
    return out;
}

Status McpServerConfig::resolveSecrets(const SecretLookup &secret)
{
    static const QRegularExpression reference(QStringLiteral("\\$\\{secret:([A-Za-z_][A-Za-z0-9_]*)\\}"));
    const auto render = [&](const QString &text, const QString &where) -> Result<QString> {
        QString out;
        qsizetype last = 0;
        for (auto m = reference.globalMatch(text); m.hasNext();) {
            const QRegularExpressionMatch hit = m.next();
            auto value = secret
                             ? secret(hit.captured(1))
                             : Result<QString>(Error::make(Error::Code::BadInput, QStringLiteral("no secrets here")));
            if (!value)
                return Error::make(
                    value.error().code,
                    QStringLiteral("MCP server \"%1\" (%2): %3").arg(name, where, value.error().message));
            out += QStringView(text).sliced(last, hit.capturedStart() - last);
            out += *value;
            last = hit.capturedEnd();
        }
        out += QStringView(text).sliced(last);
        return out;
    };
    for (auto it = env.begin(); it != env.end(); ++it) {
        auto value = render(it.value(), QStringLiteral("env.%1").arg(it.key()));
        if (!value)
            return value.error();
        it.value() = *value;
    }
    for (auto &[header, value] : headers) {
        auto rendered = render(QString::fromUtf8(value), QStringLiteral("headers.%1").arg(QString::fromUtf8(header)));
        if (!rendered)
            return rendered.error();
        if (rendered->contains(u'\r') || rendered->contains(u'\n') || rendered->contains(QChar(0)))
            return Error::make(Error::Code::BadInput,
                               QStringLiteral("MCP server \"%1\" (headers.%2): a secret in it holds a line break; "
                                              "a header value cannot")
                                   .arg(name, QString::fromUtf8(header)));
        value = rendered->toUtf8();
    }
    return {};
}

} // namespace airlock
