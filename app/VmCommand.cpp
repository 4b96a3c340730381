#include "app/VmCommand.h"

#include "app/Cli.h"
#include "app/CliOutput.h"
#include "sandbox/microvm/MicroVm.h"

#include <QCoreApplication>
#include <QFile>
#include <QFileInfo>

#include <cstdio>

#include <unistd.h>

namespace airlock {
namespace {

void writeRaw(FILE *to, const QByteArray &bytes)
{
    std::fwrite(bytes.constData(), 1, size_t(bytes.size()), to);
    std::fflush(to);
}

} // namespace

int VmCommand::run(const ParsedCommandLine &args)
{
    // The parser has checked the subcommand's word (exec) and its options.
    const QString command = QStringLiteral("vm");
    MicroVmOptions options;
    options.sessionId = QStringLiteral("cli-%1").arg(::getpid());
    ExecRequest request;
    if (!args.positional.isEmpty())
        return CliOutput::badUsage(command,
                                   QStringLiteral("unexpected \"%1\" before \"--\"").arg(args.positional.front()));
    if (args.isSet(QStringLiteral("workspace"))) {
        const QString v = args.value(QStringLiteral("workspace"));
        if (!QFileInfo(v).isDir())
            return CliOutput::fail(Cli::BadUsage, QStringLiteral("--workspace %1: not a folder").arg(v));
        options.workspaceDir = QFileInfo(v).absoluteFilePath();
    }
    if (args.isSet(QStringLiteral("timeout-ms"))) {
        bool ok = false;
        request.timeoutMs = args.value(QStringLiteral("timeout-ms")).toInt(&ok);
        if (!ok || request.timeoutMs < 0)
            return CliOutput::badUsage(command, QStringLiteral("--timeout-ms needs a number of milliseconds"));
    }
    if (args.isSet(QStringLiteral("uri")))
        options.uri = args.value(QStringLiteral("uri"));
    const bool passStdin = args.isSet(QStringLiteral("stdin"));
    const bool verbose = args.isSet(QStringLiteral("verbose"));
    request.argv = args.passedOn;
    if (request.argv.isEmpty())
        return CliOutput::badUsage(command, QStringLiteral("no command after \"--\""));

    if (passStdin) {
        QFile in;
        if (!in.open(stdin, QIODevice::ReadOnly))
            return CliOutput::fail(Cli::Failed, QStringLiteral("cannot read standard input"));
        const qint64 limit = ExecRequest::maxStdinBytes();
        request.stdinData = in.read(limit + 1);
        if (request.stdinData.size() > limit)
            return CliOutput::fail(Cli::BadUsage,
                                   QStringLiteral("standard input is over the limit of %1 bytes").arg(limit));
    }

    // VMs left by a crashed airlock go first.
    (void)MicroVm::destroyOrphans(options.uri);

    MicroVm vm(options);
    if (verbose)
        vm.setNoticeSink([](const QString &stream, const QString &line) {
            CliOutput::errLine(QStringLiteral("[%1] %2").arg(stream, line));
        });
    Result<ExecResult> r = vm.exec(request, [](const QString &stream, const QByteArray &bytes) {
        writeRaw(stream == QLatin1String("stderr") ? stderr : stdout, bytes);
    });
    vm.destroy();
    // A command the guest cannot run exits 127, as in a shell (and ssh, docker exec).
    if (!r && r.error().message.startsWith(QLatin1String("cannot run")))
        return CliOutput::fail(127, r.error().message);
    if (!r)
        return CliOutput::fail(r.error().code == Error::Code::BadInput ? Cli::BadUsage : Cli::Failed,
                               r.error().message);
    if (r->timedOut) {
        CliOutput::errLine(
            QStringLiteral("airlock: the command timed out after %1 ms and was killed").arg(request.timeoutMs));
        return 124;
    }
    return r->exitCode;
}

} // namespace airlock
