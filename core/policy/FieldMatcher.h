#pragma once

// One condition of a policy rule on one input field, addressed by a dot path
// ("url", "options.timeout", "paths.0"). JSON form: {"<op>": value} with exactly
// one op:
//   equals      any JSON value, compared exactly
//   glob        wildcard over the whole string (see GlobPattern)
//   regex       regular expression that must match the whole string
//   prefix      the string starts with this
//   range       {"min": n, "max": n} (either may be absent), inclusive, numbers only
//   host_in     ["example.com", "*.example.com"]: the field is an http(s)/ws(s) URL
//               whose host is listed ("*." = any subdomain, not the domain itself)
//   argv_prefix ["git", "status"]: the shell command's words start with these. For
//               allow, the command must be simple and its argv start with exactly
//               these words; for deny/ask, any command the line could run counts,
//               through wrappers (`time rm`, `sh -c 'rm'`), and the first word is
//               compared by basename (`/bin/rm` is `rm`). See ShellCommand.
//   path_under  "/workspace": the path, with . and .. resolved, is this or inside it
// A missing field, or a value of the wrong type, never matches.

#include "core/util/Result.h"

#include <QJsonObject>
#include <QJsonValue>
#include <QRegularExpression>
#include <QString>
#include <QStringList>

namespace airlock {

class FieldMatcher {
public:
    enum class Op { Equals, Glob, Regex, Prefix, Range, HostIn, ArgvPrefix, PathUnder };

    static Result<FieldMatcher> fromJson(const QString &path, const QJsonValue &spec);
    static FieldMatcher equals(const QString &path, const QJsonValue &value);
    QJsonObject toJson() const;

    // `forAllow`: the rule would allow. Then a string with a ".." path segment never
    // satisfies glob/prefix (a "/workspace/*" rule must not allow
    // "/workspace/../etc/passwd"), and argv_prefix needs a simple command.
    bool matches(const QJsonObject &input, bool forAllow) const;
    const QString &path() const { return m_path; }
    Op op() const { return m_op; }

    static QJsonValue valueAt(const QJsonObject &input, const QString &path, bool *found);

private:
    bool matchesValue(const QJsonValue &value, bool forAllow) const;

    QString m_path;
    Op m_op = Op::Equals;
    QJsonValue m_spec; // the op's argument as written
    QRegularExpression m_regex;
    QStringList m_list; // host_in / argv_prefix
    std::optional<double> m_min, m_max;
    QString m_text; // glob / prefix / path_under (cleaned)
};

} // namespace airlock
