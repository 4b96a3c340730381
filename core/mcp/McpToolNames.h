#pragma once

// Names for one server's tools that every provider accepts, and the way back.
// Anthropic takes ^[a-zA-Z0-9_-]{1,64}$ (newer: 128) and OpenAI at most 64 of the
// same characters, while MCP names may hold dots and slashes and run to 128. The
// exposed name is "<server>__<tool>"; when that needed changing (a character
// outside [A-Za-z0-9_-], or more than 64 characters) it ends in "_" and 8 hex
// digits of a SHA-256 over the server and tool names, so two tools that map to
// the same characters still get two names. Names that needed no change are
// placed first, so no changed name can take one of theirs. Pure.

#include <QHash>
#include <QString>
#include <QStringList>

#include <optional>

namespace airlock {

class McpToolNames {
public:
    static constexpr qsizetype kMaxLength = 64;

    McpToolNames() = default;
    McpToolNames(const QString &server, const QStringList &tools);

    // The provider-safe name of `tool`, or nothing when it is not one of them.
    std::optional<QString> exposed(const QString &tool) const;
    // The server's own name for an exposed one, or nothing.
    std::optional<QString> original(const QString &exposedName) const;
    QStringList exposedNames() const { return m_toOriginal.keys(); }

    // [A-Za-z0-9_-] kept, anything else '_' (a server name "my.fs" gives "my_fs").
    static QString sanitize(const QString &name);
    static bool isSafe(const QString &name);

private:
    QHash<QString, QString> m_toExposed;
    QHash<QString, QString> m_toOriginal;
};

} // namespace airlock
