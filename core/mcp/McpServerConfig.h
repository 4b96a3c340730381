#pragma once

// The "mcpServers" object of airlock.json, in both shapes people paste:
//   Claude Desktop: {"name": {"command": "npx", "args": [...], "env": {...}}}
//   Claude Code:    {"name": {"type": "stdio", "command": ..., "args": ..., "env": ...}}
//                   {"name": {"type": "http", "url": "https://…/mcp", "headers": {...}}}
// Optional everywhere: "cwd" (stdio), "enabled" (default true).
// Strict: unknown keys, wrong types, an empty command or a URL that is not
// http(s) are errors naming their JSON path ("mcpServers.fs.args[1]: …"). In
// command, args, cwd, env values, url and header values, ${VAR} and
// ${VAR:-default} are replaced from the environment given (an unset VAR without a
// default is an error); ${secret:NAME} is left as written, for the layer that
// reads secrets. "type": "sse" (the older HTTP+SSE transport) is refused, with a
// message saying so. Pure: no file system, no process.

#include "core/util/Result.h"

#include <QByteArray>
#include <QJsonValue>
#include <QList>
#include <QMap>
#include <QPair>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>
#include <QUrl>

#include <functional>

namespace airlock {

struct McpServerConfig {
    enum class Transport { Stdio, Http };

    QString name;
    Transport transport = Transport::Stdio;
    bool enabled = true;
    // stdio
    QString command;
    QStringList args;
    QMap<QString, QString> env;
    QString cwd;
    // http
    QUrl url;
    QList<QPair<QByteArray, QByteArray>> headers; // names lower-cased

    // `at` is the JSON path of the object itself ("mcpServers").
    static Result<QList<McpServerConfig>>
    fromJson(const QJsonValue &mcpServers, const QString &at,
             const QProcessEnvironment &environment = QProcessEnvironment::systemEnvironment());
    // ${VAR} / ${VAR:-default} in `text`; the error says which variable is unset.
    static Result<QString> expand(const QString &text, const QProcessEnvironment &environment);
    // Replaces each `${secret:NAME}` (left as written by fromJson) in the env values
    // and headers with `secret(NAME)`, called as each is met; the first failure is
    // the error, naming the server and where the secret is used.
    using SecretLookup = std::function<Result<QString>(const QString &name)>;
    Status resolveSecrets(const SecretLookup &secret);
};

} // namespace airlock
