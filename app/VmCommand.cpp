#include "app/VmCommand.h"

#include "app/AgentSetupBuilder.h"
#include "app/Cli.h"
#include "app/CliOutput.h"
#include "core/agent/ProjectFile.h"
#include "sandbox/microvm/GuestImageCache.h"
#include "sandbox/microvm/MicroVm.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <thread>

#include <fcntl.h>

#include <unistd.h>

namespace airlock {
namespace {

void writeRaw(FILE *to, const QByteArray &bytes)
{
    std::fwrite(bytes.constData(), 1, size_t(bytes.size()), to);
    std::fflush(to);
}

// The project's "vm" section (or nothing), for exec and image.
// The project's choices (its "vm", "egress", "bindings", "secrets"), or none.
Result<AgentChoices> projectChoices(const ParsedCommandLine &args)
{
    AgentChoices choices;
    if (!args.isSet(QStringLiteral("project")))
        return choices;
    if (Status s = ProjectFile::applyTo(args.value(QStringLiteral("project")), choices); !s)
        return s.error();
    return choices;
}

Result<VmChoices> projectVm(const ParsedCommandLine &args)
{
    Result<AgentChoices> choices = projectChoices(args);
    if (!choices)
        return choices.error();
    return choices->vm;
}

void printJson(const QJsonObject &o)
{
    writeRaw(stdout, QJsonDocument(o).toJson(QJsonDocument::Compact) + '\n');
}

// A terminal gets a bar redrawn in place; anything else gets a line per step.
class ProgressPrinter {
public:
    explicit ProgressPrinter(bool json) : m_json(json), m_tty(::isatty(STDERR_FILENO)) {}
    void update(int pct, const QString &step)
    {
        if (m_json) {
            printJson({{QStringLiteral("progress"), pct}, {QStringLiteral("step"), step}});
            return;
        }
        if (m_tty) {
            const int width = 30, filled = width * qBound(0, pct, 100) / 100;
            const QByteArray bar = QByteArray(filled, '#') + QByteArray(width - filled, '.');
            writeRaw(stderr,
                     "\r\033[K[" + bar + "] " + QByteArray::number(pct).rightJustified(3) + "% " + step.toUtf8());
            m_open = true;
        } else if (step != m_lastStep) {
            CliOutput::errLine(QStringLiteral("%1% %2").arg(pct).arg(step));
        }
        m_lastStep = step;
    }
    void finish()
    {
        if (m_open)
            writeRaw(stderr, "\n");
        m_open = false;
    }

private:
    bool m_json, m_tty, m_open = false;
    QString m_lastStep;
};

int runImage(const ParsedCommandLine &args)
{
    const QString action = args.positional.value(0, QStringLiteral("build"));
    const bool json = args.isSet(QStringLiteral("json"));
    GuestImageCache cache;
    if (action == QLatin1String("list") || action == QLatin1String("gc")) {
        if (action == QLatin1String("gc"))
            for (const QString &k : cache.collectGarbage())
                CliOutput::errLine(QStringLiteral("dropped image %1").arg(k));
        for (const GuestImageCache::Entry &e : cache.entries()) {
            if (json)
                printJson({{QStringLiteral("key"), e.key},
                           {QStringLiteral("packages"), QJsonArray::fromStringList(e.packages)},
                           {QStringLiteral("bytes"), e.bytes},
                           {QStringLiteral("last_used"),
                            QDateTime::fromMSecsSinceEpoch(e.lastUsedMs).toUTC().toString(Qt::ISODate)},
                           {QStringLiteral("sessions"), e.users}});
            else
                writeRaw(stdout, QStringLiteral("%1  %2 MiB  %3 session disk(s)  %4\n")
                                     .arg(e.key.left(12))
                                     .arg(e.bytes >> 20)
                                     .arg(e.users)
                                     .arg(e.packages.join(QLatin1Char(' ')))
                                     .toUtf8());
        }
        return 0;
    }
    if (action != QLatin1String("build"))
        return CliOutput::badUsage(QStringLiteral("vm image"),
                                   QStringLiteral("unknown action \"%1\": build, list or gc").arg(action));
    Result<VmChoices> vm = projectVm(args);
    if (!vm)
        return CliOutput::fail(Cli::BadUsage, vm.error().message);
    Result<GuestImageRecipe> recipe = GuestImageRecipe::fromHost(vm->packages);
    if (!recipe)
        return CliOutput::fail(Cli::BadUsage, recipe.error().message);
    ProgressPrinter progress(json);
    Result<GuestImageCache::Image> image = cache.ensure(
        *recipe, [&](int pct, const QString &step) { progress.update(pct, step); },
        args.isSet(QStringLiteral("rebuild")));
    progress.finish();
    if (!image)
        return CliOutput::fail(Cli::Failed, image.error().message);
    if (json)
        printJson({{QStringLiteral("image"), image->rootImage},
                   {QStringLiteral("key"), image->key},
                   {QStringLiteral("built"), image->built},
                   {QStringLiteral("build_ms"), image->buildMs},
                   {QStringLiteral("bytes"), image->bytes}});
    else
        writeRaw(stdout, QStringLiteral("%1 %2 (%3 MiB%4)\n")
                             .arg(image->built ? QStringLiteral("built") : QStringLiteral("cached"), image->rootImage)
                             .arg(image->bytes >> 20)
                             .arg(image->built ? QStringLiteral(", %1 s").arg(double(image->buildMs) / 1000, 0, 'f', 1)
                                               : QString())
                             .toUtf8());
    return 0;
}

// SIGINT/SIGTERM while forwarding: a byte on this pipe (the handler does nothing else).
int g_stopPipe[2] = {-1, -1};

extern "C" void onStopSignal(int) noexcept
{
    const char byte = 1;
    (void)!::write(g_stopPipe[1], &byte, 1);
}

// `vm forward [options] PORT[:HOSTPORT]… -- COMMAND…`: boots, opens the forwards
// (the project's vm.forward and the ones named), prints each, runs COMMAND with its
// output streamed, then forwards until interrupted; the VM goes at the end.
int runForward(const ParsedCommandLine &args)
{
    const QString command = QStringLiteral("vm forward");
    MicroVmOptions options;
    options.sessionId = QStringLiteral("cli-%1").arg(::getpid());
    QList<PortForward> named;
    for (const QString &word : args.positional) {
        std::optional<PortForward> f = PortForward::parse(word);
        if (!f)
            return CliOutput::badUsage(
                command, QStringLiteral("\"%1\" is not PORT or PORT:HOSTPORT (ports 1 to 65535)").arg(word));
        named << *f;
    }
    if (args.isSet(QStringLiteral("workspace"))) {
        const QString v = args.value(QStringLiteral("workspace"));
        if (!QFileInfo(v).isDir())
            return CliOutput::fail(Cli::BadUsage, QStringLiteral("--workspace %1: not a folder").arg(v));
        options.workspaceDir = QFileInfo(v).absoluteFilePath();
    }
    if (args.isSet(QStringLiteral("uri")))
        options.uri = args.value(QStringLiteral("uri"));
    Result<AgentChoices> project = projectChoices(args);
    if (!project)
        return CliOutput::fail(Cli::BadUsage, project.error().message);
    VmChoices guest = project->vm;
    if (args.isSet(QStringLiteral("guest"))) {
        guest.image = args.value(QStringLiteral("guest"));
        if (guest.image != QLatin1String("debian") && guest.image != QLatin1String("busybox"))
            return CliOutput::badUsage(command, QStringLiteral("--guest is debian or busybox"));
    }
    AgentSetupBuilder::applyVmChoices(guest, options);
    if (args.isSet(QStringLiteral("project"))) {
        Result<QList<PortForward>> fromProject =
            AgentSetupBuilder::projectForwards(args.value(QStringLiteral("project")));
        if (!fromProject)
            return CliOutput::fail(Cli::BadUsage, fromProject.error().message);
        // A port named on the command line wins over the project's entry for it.
        for (const PortForward &f : *fromProject)
            if (std::none_of(named.begin(), named.end(),
                             [&](const PortForward &n) { return n.guestPort == f.guestPort; }))
                options.forwards << f;
    }
    options.forwards << named;
    if (options.forwards.isEmpty())
        return CliOutput::badUsage(command,
                                   QStringLiteral("name a guest port to forward (or a project with vm.forward)"));
    const bool verbose = args.isSet(QStringLiteral("verbose"));
    auto egress = AgentSetupBuilder::vmEgress(*project, options.sessionId, [verbose](const EgressAuditRecord &record) {
        if (verbose)
            CliOutput::errLine(QStringLiteral("[egress] ") + record.toEvent().text());
    });
    if (!egress)
        return CliOutput::fail(Cli::Failed, egress.error().message);
    options.egress = egress->gate;
    options.interceptionCa = egress->ca;
    ExecRequest request;
    request.argv = args.passedOn;
    if (request.argv.isEmpty())
        return CliOutput::badUsage(command, QStringLiteral("no command after \"--\" (the server to run)"));

    (void)MicroVm::destroyOrphans(options.uri);
    if (::pipe2(g_stopPipe, O_CLOEXEC) != 0)
        return CliOutput::fail(Cli::Failed, QStringLiteral("pipe: %1").arg(QString::fromLocal8Bit(strerror(errno))));
    struct sigaction sa {};
    sa.sa_handler = onStopSignal;
    ::sigaction(SIGINT, &sa, nullptr);
    ::sigaction(SIGTERM, &sa, nullptr);

    MicroVm vm(options);
    // Forward notices (a refused connection, a new listener offered) always; the
    // rest with --verbose.
    vm.setNoticeSink([verbose](const QString &stream, const QString &line) {
        if (verbose || (stream == QLatin1String("forward") && !line.startsWith(QLatin1String("forwarding "))))
            CliOutput::errLine(QStringLiteral("[%1] %2").arg(stream, line));
    });
    std::atomic<bool> interrupted{false};
    // The signal's byte wakes this thread, which cancels the command in flight.
    std::thread waiter([&] {
        char byte = 0;
        while (::read(g_stopPipe[0], &byte, 1) < 0 && errno == EINTR) {
        }
        if (byte == 1) {
            interrupted = true;
            vm.cancel();
        }
    });
    auto teardown = [&] {
        vm.destroy(); // the forwards end with the VM
        ::signal(SIGINT, SIG_DFL);
        ::signal(SIGTERM, SIG_DFL);
        ::close(g_stopPipe[0]);
        ::close(g_stopPipe[1]);
    };
    auto finish = [&](int code) {
        if (!interrupted) {
            const char quit = 2;
            (void)!::write(g_stopPipe[1], &quit, 1);
        }
        waiter.join();
        teardown();
        return code;
    };
    if (Status s = vm.boot(); !s)
        return finish(CliOutput::fail(Cli::Failed, s.error().message));
    for (const PortForward &f : vm.forwards())
        writeRaw(stdout,
                 QStringLiteral("forwarding 127.0.0.1:%1 -> guest:%2\n").arg(f.hostPort).arg(f.guestPort).toUtf8());
    if (vm.forwards().size() < options.forwards.size())
        return finish(CliOutput::fail(Cli::Failed, QStringLiteral("not every port could be forwarded (see above)")));
    if (interrupted) // during the boot
        return finish(0);
    Result<ExecResult> r = vm.exec(request, [](const QString &stream, const QByteArray &bytes) {
        writeRaw(stream == QLatin1String("stderr") ? stderr : stdout, bytes);
    });
    if (interrupted)
        return finish(0);
    if (!r)
        return finish(CliOutput::fail(r.error().message.startsWith(QLatin1String("cannot run")) ? 127 : Cli::Failed,
                                      r.error().message));
    CliOutput::errLine(QStringLiteral("airlock: the command exited with %1; still forwarding until interrupted "
                                      "(Ctrl-C)")
                           .arg(r->exitCode));
    waiter.join(); // until a signal
    teardown();
    return 0;
}

} // namespace

int VmCommand::run(const ParsedCommandLine &args)
{
    if (args.subcommand == QLatin1String("image"))
        return runImage(args);
    if (args.subcommand == QLatin1String("forward"))
        return runForward(args);
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
    Result<AgentChoices> project = projectChoices(args);
    if (!project)
        return CliOutput::fail(Cli::BadUsage, project.error().message);
    VmChoices guest = project->vm;
    if (args.isSet(QStringLiteral("guest"))) {
        guest.image = args.value(QStringLiteral("guest"));
        if (guest.image != QLatin1String("debian") && guest.image != QLatin1String("busybox"))
            return CliOutput::badUsage(command, QStringLiteral("--guest is debian or busybox"));
    }
    AgentSetupBuilder::applyVmChoices(guest, options);
    const bool verbose = args.isSet(QStringLiteral("verbose"));
    // The guest's proxy goes through the project's egress, as in a session; with
    // --verbose each request is printed as the Logs dock's Egress tab shows it.
    auto egress = AgentSetupBuilder::vmEgress(*project, options.sessionId, [verbose](const EgressAuditRecord &record) {
        if (verbose)
            CliOutput::errLine(QStringLiteral("[egress] ") + record.toEvent().text());
    });
    if (!egress)
        return CliOutput::fail(Cli::Failed, egress.error().message);
    options.egress = egress->gate;
    options.interceptionCa = egress->ca;
    const bool passStdin = args.isSet(QStringLiteral("stdin"));
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
