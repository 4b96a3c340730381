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

QString usage()
{
    return QStringLiteral("usage: airlock vm exec [--workspace DIR] [--timeout-ms N] [--stdin] [--uri URI] [--verbose] "
                          "-- COMMAND [ARGS…]\n"
                          "  --workspace DIR  share DIR read-write as /workspace (default: nothing shared)\n"
                          "  --stdin          pass this process's standard input to the command\n"
                          "  --uri URI        libvirt connection (default: qemu:///system as root, else "
                          "qemu:///session)");
}

void writeRaw(FILE *to, const QByteArray &bytes)
{
    std::fwrite(bytes.constData(), 1, size_t(bytes.size()), to);
    std::fflush(to);
}

} // namespace

int VmCommand::run(const QStringList &argsIn)
{
    QStringList args = argsIn;
    if (args.isEmpty() || args.first() != QLatin1String("exec"))
        return CliOutput::fail(Cli::BadUsage, usage());
    args.removeFirst();

    MicroVmOptions options;
    options.sessionId = QStringLiteral("cli-%1").arg(::getpid());
    ExecRequest request;
    bool passStdin = false;
    bool verbose = false;
    while (!args.isEmpty()) {
        const QString a = args.takeFirst();
        if (a == QLatin1String("--")) {
            request.argv = args;
            break;
        }
        auto value = [&](QString &into) {
            if (args.isEmpty())
                return false;
            into = args.takeFirst();
            return true;
        };
        QString v;
        if (a == QLatin1String("--workspace") && value(v)) {
            if (!QFileInfo(v).isDir())
                return CliOutput::fail(Cli::BadUsage, QStringLiteral("--workspace %1: not a folder").arg(v));
            options.workspaceDir = QFileInfo(v).absoluteFilePath();
        } else if (a == QLatin1String("--timeout-ms") && value(v)) {
            bool ok = false;
            request.timeoutMs = v.toInt(&ok);
            if (!ok || request.timeoutMs < 0)
                return CliOutput::fail(Cli::BadUsage, QStringLiteral("--timeout-ms needs a number of milliseconds"));
        } else if (a == QLatin1String("--uri") && value(v)) {
            options.uri = v;
        } else if (a == QLatin1String("--stdin")) {
            passStdin = true;
        } else if (a == QLatin1String("--verbose")) {
            verbose = true;
        } else {
            return CliOutput::fail(Cli::BadUsage, QStringLiteral("unexpected \"%1\"\n%2").arg(a, usage()));
        }
    }
    if (request.argv.isEmpty())
        return CliOutput::fail(Cli::BadUsage, QStringLiteral("no command after \"--\"\n%1").arg(usage()));

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
