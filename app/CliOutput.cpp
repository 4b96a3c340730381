#include "app/CliOutput.h"

#include <cstdio>

namespace airlock {

void CliOutput::out(const QByteArray &bytes)
{
    std::fwrite(bytes.constData(), 1, static_cast<size_t>(bytes.size()), stdout);
}

void CliOutput::outLine(const QString &line)
{
    out(line.toUtf8());
    out("\n");
}

void CliOutput::errLine(const QString &line)
{
    const QByteArray bytes = line.toUtf8() + '\n';
    std::fwrite(bytes.constData(), 1, static_cast<size_t>(bytes.size()), stderr);
}

int CliOutput::fail(int code, const QString &message)
{
    std::fflush(stdout);
    errLine(QStringLiteral("airlock: ") + message);
    return code;
}

int CliOutput::badUsage(const QString &command, const QString &problem)
{
    constexpr int kBadUsage = 2; // Cli::BadUsage, without the dependency on Cli
    return fail(kBadUsage, QStringLiteral("%1 (run 'airlock help%2')")
                               .arg(problem, command.isEmpty() ? QString() : QLatin1Char(' ') + command));
}

} // namespace airlock
