#include "core/policy/FieldMatcher.h"

#include "core/policy/GlobPattern.h"
#include "core/policy/ShellCommand.h"

#include <QDir>
#include <QJsonArray>
#include <QUrl>

namespace airlock {

namespace {

struct OpName {
    FieldMatcher::Op op;
    const char *name;
};
constexpr OpName kOps[] = {
    {FieldMatcher::Op::Equals, "equals"},
    {FieldMatcher::Op::Glob, "glob"},
    {FieldMatcher::Op::Regex, "regex"},
    {FieldMatcher::Op::Prefix, "prefix"},
    {FieldMatcher::Op::Range, "range"},
    {FieldMatcher::Op::HostIn, "host_in"},
    {FieldMatcher::Op::ArgvPrefix, "argv_prefix"},
    {FieldMatcher::Op::PathUnder, "path_under"},
};

QString opName(FieldMatcher::Op op)
{
    for (const OpName &o : kOps) {
        if (o.op == op)
            return QLatin1String(o.name);
    }
    return {};
}

bool hasDotDotSegment(const QString &s)
{
    static const QRegularExpression re(QStringLiteral(R"((^|[/\\])\.\.([/\\]|$))"));
    return re.match(s).hasMatch();
}

Error bad(const QString &path, const QString &what)
{
    return Error::make(Error::Code::BadInput, QStringLiteral("condition on '%1': %2").arg(path, what));
}

Result<QStringList> stringList(const QString &path, const QJsonValue &v, const char *op)
{
    if (!v.isArray() || v.toArray().isEmpty())
        return bad(path, QStringLiteral("%1 needs a non-empty array of strings").arg(QLatin1String(op)));
    QStringList out;
    for (const QJsonValue &item : v.toArray()) {
        if (!item.isString() || item.toString().isEmpty())
            return bad(path, QStringLiteral("%1 needs a non-empty array of strings").arg(QLatin1String(op)));
        out.append(item.toString());
    }
    return out;
}

// The host of an http(s)/ws(s) URL in lower-case ASCII form, or empty when the
// text is not such a URL. Backslashes, spaces and control characters are refused
// outright: parsers disagree about them, and that disagreement is how allow-lists
// get fooled ("https://good.com\@evil.com").
QString urlHost(const QString &text)
{
    for (QChar c : text) {
        if (c == u'\\' || c.isSpace() || c.unicode() < 0x20 || c.unicode() == 0x7f)
            return {};
    }
    const QUrl url(text, QUrl::StrictMode);
    if (!url.isValid())
        return {};
    const QString scheme = url.scheme().toLower();
    if (scheme != u"http" && scheme != u"https" && scheme != u"ws" && scheme != u"wss")
        return {};
    QString host = url.host(QUrl::FullyEncoded).toLower();
    while (host.endsWith(u'.'))
        host.chop(1);
    return host;
}

QString normaliseHostEntry(const QString &entry)
{
    QString e = entry.trimmed().toLower();
    const bool wildcard = e.startsWith(QLatin1String("*."));
    if (wildcard)
        e = e.mid(2);
    while (e.endsWith(u'.'))
        e.chop(1);
    const QString ace = QString::fromLatin1(QUrl::toAce(e));
    return (wildcard ? QStringLiteral("*.") : QString()) + (ace.isEmpty() ? e : ace);
}

} // namespace

Result<FieldMatcher> FieldMatcher::fromJson(const QString &path, const QJsonValue &spec)
{
    if (path.isEmpty())
        return bad(path, QStringLiteral("empty field path"));
    if (!spec.isObject())
        return equals(path, spec); // shorthand: "field": value
    const QJsonObject obj = spec.toObject();
    if (obj.size() != 1)
        return bad(path, QStringLiteral("needs exactly one of equals, glob, regex, prefix, range, host_in, "
                                        "argv_prefix, path_under"));
    const QString key = obj.begin().key();
    const QJsonValue arg = obj.begin().value();

    FieldMatcher m;
    m.m_path = path;
    m.m_spec = arg;
    bool known = false;
    for (const OpName &o : kOps) {
        if (key == QLatin1String(o.name)) {
            m.m_op = o.op;
            known = true;
        }
    }
    if (!known)
        return bad(path, QStringLiteral("unknown condition '%1'").arg(key));

    switch (m.m_op) {
    case Op::Equals:
        break;
    case Op::Glob:
    case Op::Prefix:
        if (!arg.isString() || arg.toString().isEmpty())
            return bad(path, QStringLiteral("%1 needs a non-empty string").arg(key));
        m.m_text = arg.toString();
        break;
    case Op::PathUnder:
        if (!arg.isString() || !arg.toString().startsWith(u'/'))
            return bad(path, QStringLiteral("path_under needs an absolute path"));
        m.m_text = QDir::cleanPath(arg.toString());
        break;
    case Op::Regex:
        if (!arg.isString())
            return bad(path, QStringLiteral("regex needs a string"));
        m.m_regex = QRegularExpression(QRegularExpression::anchoredPattern(arg.toString()),
                                       QRegularExpression::UseUnicodePropertiesOption);
        if (!m.m_regex.isValid())
            return bad(path, QStringLiteral("invalid regex: %1").arg(m.m_regex.errorString()));
        break;
    case Op::Range: {
        const QJsonObject r = arg.toObject();
        for (auto it = r.begin(); it != r.end(); ++it) {
            if ((it.key() != u"min" && it.key() != u"max") || !it.value().isDouble())
                return bad(path, QStringLiteral("range takes numeric \"min\" and/or \"max\""));
        }
        if (r.contains(u"min"))
            m.m_min = r.value(u"min").toDouble();
        if (r.contains(u"max"))
            m.m_max = r.value(u"max").toDouble();
        if (!m.m_min && !m.m_max)
            return bad(path, QStringLiteral("range needs \"min\" or \"max\""));
        break;
    }
    case Op::HostIn: {
        auto list = stringList(path, arg, "host_in");
        if (!list)
            return list.error();
        for (const QString &entry : *list)
            m.m_list.append(normaliseHostEntry(entry));
        break;
    }
    case Op::ArgvPrefix: {
        auto list = stringList(path, arg, "argv_prefix");
        if (!list)
            return list.error();
        m.m_list = *list;
        break;
    }
    }
    return m;
}

FieldMatcher FieldMatcher::equals(const QString &path, const QJsonValue &value)
{
    FieldMatcher m;
    m.m_path = path;
    m.m_op = Op::Equals;
    m.m_spec = value;
    return m;
}

QJsonObject FieldMatcher::toJson() const
{
    return QJsonObject{{opName(m_op), m_spec}};
}

QJsonValue FieldMatcher::valueAt(const QJsonObject &input, const QString &path, bool *found)
{
    QJsonValue current = input;
    *found = false;
    for (const QString &segment : path.split(u'.')) {
        if (current.isObject()) {
            const QJsonObject o = current.toObject();
            if (!o.contains(segment))
                return {};
            current = o.value(segment);
        } else if (current.isArray()) {
            bool ok = false;
            const int index = segment.toInt(&ok);
            const QJsonArray a = current.toArray();
            if (!ok || index < 0 || index >= a.size())
                return {};
            current = a.at(index);
        } else {
            return {};
        }
    }
    *found = true;
    return current;
}

bool FieldMatcher::matches(const QJsonObject &input, bool forAllow) const
{
    bool found = false;
    const QJsonValue value = valueAt(input, m_path, &found);
    if (!found)
        return false;
    if (matchesValue(value, forAllow))
        return true;
    if (m_op != Op::ArgvPrefix || forAllow)
        return false;
    // Deny/ask: `sh` with "stdin": "rm -rf ~" runs that text; it is the "stdin"
    // field beside the command.
    const ShellCommand cmd = value.isString() ? ShellCommand::parse(value.toString()) : ShellCommand();
    bool readsStdin = cmd.readsCommandsFromStdin();
    if (value.isArray()) {
        QStringList argv;
        for (const QJsonValue &v : value.toArray())
            argv.append(v.toString());
        readsStdin = ShellCommand::fromArgv(argv).readsCommandsFromStdin();
    }
    if (!readsStdin)
        return false;
    const qsizetype dot = m_path.lastIndexOf(u'.');
    const QString stdinPath = (dot < 0 ? QString() : m_path.left(dot + 1)) + QStringLiteral("stdin");
    bool hasStdin = false;
    const QJsonValue stdinText = valueAt(input, stdinPath, &hasStdin);
    return hasStdin && stdinText.isString() && ShellCommand::parse(stdinText.toString()).couldRun(m_list);
}

bool FieldMatcher::matchesValue(const QJsonValue &value, bool forAllow) const
{
    switch (m_op) {
    case Op::Equals:
        return value == m_spec;
    case Op::Glob:
        return value.isString() && !(forAllow && hasDotDotSegment(value.toString())) &&
               GlobPattern::matches(m_text, value.toString());
    case Op::Prefix:
        return value.isString() && !(forAllow && hasDotDotSegment(value.toString())) &&
               value.toString().startsWith(m_text);
    case Op::Regex:
        return value.isString() && m_regex.match(value.toString()).hasMatch();
    case Op::Range:
        return value.isDouble() && (!m_min || value.toDouble() >= *m_min) && (!m_max || value.toDouble() <= *m_max);
    case Op::PathUnder: {
        if (!value.isString() || value.toString().contains(QChar(0)))
            return false;
        const QString cleaned = QDir::cleanPath(value.toString());
        if (!cleaned.startsWith(u'/'))
            return false;
        return cleaned == m_text || m_text == u"/" || cleaned.startsWith(m_text + u'/');
    }
    case Op::HostIn: {
        if (!value.isString())
            return false;
        const QString host = urlHost(value.toString());
        if (host.isEmpty())
            return false;
        for (const QString &entry : m_list) {
            if (entry.startsWith(QLatin1String("*."))) {
                if (host.endsWith(entry.mid(1)))
                    return true;
            } else if (host == entry) {
                return true;
            }
        }
        return false;
    }
    case Op::ArgvPrefix: {
        ShellCommand cmd;
        if (value.isArray()) {
            // An argv array runs without a shell; wrappers in it (`env rm`,
            // `sh -c …`) are still seen through. The sandbox passes a non-string
            // element as "", so deny reads it so and allow never applies.
            QStringList argv;
            bool allStrings = true;
            for (const QJsonValue &v : value.toArray()) {
                allStrings = allStrings && v.isString();
                argv.append(v.toString());
            }
            if (forAllow && !allStrings)
                return false;
            cmd = ShellCommand::fromArgv(argv);
        } else if (value.isString()) {
            cmd = ShellCommand::parse(value.toString());
        } else {
            return false;
        }
        if (!forAllow)
            return cmd.couldRun(m_list); // deny/ask: any command the line could run
        // Allow: exactly this argv, so the command word is compared as written
        // (`/tmp/ws/ls` is not `ls`).
        const QStringList argv = cmd.argv();
        return cmd.isSimple() && argv.size() >= m_list.size() && argv.mid(0, m_list.size()) == m_list;
    }
    }
    return false;
}

} // namespace airlock
