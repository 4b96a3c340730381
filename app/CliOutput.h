#pragma once

#include <QByteArray>
#include <QString>

namespace airlock {

// stdout/stderr for CLI commands: one clear line per error, prefixed "airlock: ".
class CliOutput {
public:
    static void out(const QByteArray &bytes);
    static void outLine(const QString &line);
    static void errLine(const QString &line);
    // Prints "airlock: <message>" on stderr and returns `code`.
    static int fail(int code, const QString &message);
    // Bad usage (exit 2): "airlock: <problem> (run 'airlock help <command>')", one line.
    static int badUsage(const QString &command, const QString &problem);
};

} // namespace airlock
