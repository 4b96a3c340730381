#pragma once

#include "app/CommandLine.h"

#include <QJsonObject>
#include <QStringList>

namespace airlock {

// `airlock mcp tools|call|resources|read|prompts|import`: an MCP server without a
// model. The server is one of `--stdio "CMD ARGS"`, `--url URL` (with `--header`)
// or `--server NAME` from a project's "mcpServers"; the client is the one the
// agent uses (McpClient), so what works here works in a session. `import` reads a
// Claude Desktop or Claude Code config and adds its servers to the project file.
class McpCommand {
public:
    static int run(const ParsedCommandLine &args);

    // What `import` takes from a config file's text: its servers by name (Claude
    // Desktop's and Claude Code's "mcpServers"; for Claude Code also the entry of
    // `projectDir` under "projects", which wins), each turned into the project
    // file's shape ("disabled": true becomes "enabled": false; approval lists that
    // Airlock's policy replaces are dropped, and said so in `notes`). A server the
    // project file could not run is left out, and `notes` says why.
    struct Imported {
        QJsonObject servers;
        QStringList notes;
    };
    static Result<Imported> importable(const QByteArray &configText, const QString &configPath,
                                       const QString &projectDir);
};

} // namespace airlock
