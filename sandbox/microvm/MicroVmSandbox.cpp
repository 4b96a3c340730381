#include "sandbox/microvm/MicroVmSandbox.h"

#include "sandbox/guest/protocol/Utf8.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QJsonArray>
#include <QMutexLocker>

namespace airlock {
namespace {

// What a call's result keeps of each output stream: its first and last halves of
// this (the log still gets every line).
constexpr qsizetype kResultOutputLimit = 64 * 1024;
// read_file: bytes returned when the call does not say, and the most it may ask.
constexpr qint64 kReadDefaultLength = 256 * 1024;
constexpr qint64 kReadMaxLength = qint64(wire::kMaxPayload);
constexpr qint64 kListMaxEntries = 1000;

// write_file's bytes: content_base64 when given, else content as UTF-8.
QByteArray writeFileContent(const QJsonObject &in)
{
    if (in.contains(QStringLiteral("content_base64")))
        return QByteArray::fromBase64(in.value(QStringLiteral("content_base64")).toString().toLatin1());
    return in.value(QStringLiteral("content")).toString().toUtf8();
}

// Splits streamed bytes into lines for the log, per stream.
class LineSplitter {
public:
    LineSplitter(const Sandbox::LogSink &log, QString callId) : m_log(log), m_callId(std::move(callId)) {}
    void add(const QString &stream, const QByteArray &bytes)
    {
        QByteArray &buf = m_partial[stream];
        buf += bytes;
        qsizetype nl;
        while ((nl = buf.indexOf('\n')) >= 0) {
            emitLine(stream, buf.left(nl));
            buf.remove(0, nl + 1);
        }
        if (buf.size() > 8192) { // a very long line: pass it on in pieces
            emitLine(stream, buf);
            buf.clear();
        }
    }
    void flush()
    {
        for (auto it = m_partial.begin(); it != m_partial.end(); ++it)
            if (!it.value().isEmpty())
                emitLine(it.key(), it.value());
        m_partial.clear();
    }

private:
    void emitLine(const QString &stream, const QByteArray &line)
    {
        if (m_log)
            m_log(SandboxLogLine{m_callId, stream, QString::fromUtf8(line)});
    }
    const Sandbox::LogSink &m_log;
    QString m_callId;
    QMap<QString, QByteArray> m_partial;
};

// One output stream of a command as a result keeps it: the first and the last
// kResultOutputLimit / 2 bytes, and how many there were in all.
class CappedOutput {
public:
    void add(const QByteArray &bytes)
    {
        m_total += bytes.size();
        const qsizetype half = kResultOutputLimit / 2;
        qsizetype used = 0;
        if (m_head.size() < half) {
            used = qMin(half - m_head.size(), bytes.size());
            m_head += bytes.left(used);
        }
        if (used < bytes.size()) {
            m_tail += bytes.mid(used);
            if (m_tail.size() > 2 * half) // trimmed now and then, not on every chunk
                m_tail.remove(0, m_tail.size() - half);
        }
    }
    qint64 total() const { return m_total; }
    bool truncated() const { return m_total > m_head.size() + qMin<qsizetype>(m_tail.size(), kResultOutputLimit / 2); }
    QString text(const QString &stream) const
    {
        QByteArray tail = m_tail.right(kResultOutputLimit / 2);
        if (!truncated())
            return QString::fromUtf8(m_head + tail);
        // Cut on character boundaries so no half character shows up.
        const QByteArray head = m_head.left(
            qsizetype(wire::completeUtf8Prefix(std::string_view(m_head.constData(), size_t(m_head.size())))));
        qsizetype skip = 0;
        while (skip < 3 && skip < tail.size() && (uchar(tail.at(skip)) & 0xC0) == 0x80)
            ++skip;
        tail.remove(0, skip);
        const qint64 omitted = m_total - head.size() - tail.size();
        return QString::fromUtf8(head) +
               QStringLiteral("\n[… %1 bytes of %2 omitted (%3 in all); the log has every line …]\n")
                   .arg(omitted)
                   .arg(stream)
                   .arg(m_total) +
               QString::fromUtf8(tail);
    }

private:
    QByteArray m_head;
    QByteArray m_tail;
    qint64 m_total = 0;
};

Error bad(const QString &message)
{
    return Error::make(Error::Code::BadInput, message);
}

// Text is what a model reads: no NUL, valid UTF-8 (a character cut by the end of a
// bounded read does not count).
bool looksBinary(const QByteArray &bytes, bool atEof)
{
    if (bytes.contains('\0'))
        return true;
    std::string_view v(bytes.constData(), size_t(bytes.size()));
    if (!atEof)
        v = v.substr(0, wire::completeUtf8Prefix(v));
    return !wire::isValidUtf8(v);
}

qint64 intInput(const QJsonObject &in, const QString &key, qint64 fallback)
{
    const QJsonValue v = in.value(key);
    return v.isDouble() ? qint64(v.toDouble()) : fallback;
}

} // namespace

QJsonArray MicroVmSandbox::toolDescriptions(const QString &guest)
{
    const QByteArray execText =
        guest == QLatin1String("debian")
            ? "Run a shell command in the sandbox VM (Debian 12 with bash, coreutils, git, python3, make, curl and the "
              "project's packages; no network; changes to / persist for the session). Returns exit_code, stdout, "
              "stderr."
            : "Run a shell command in the sandbox VM (Linux, busybox, no network). Returns exit_code, stdout, stderr.";
    auto str = [](const char *description) {
        return QJsonObject{{QStringLiteral("type"), QStringLiteral("string")},
                           {QStringLiteral("description"), QString::fromUtf8(description)}};
    };
    auto schema = [](QJsonObject properties, QStringList required) {
        return QJsonObject{{QStringLiteral("type"), QStringLiteral("object")},
                           {QStringLiteral("properties"), properties},
                           {QStringLiteral("required"), QJsonArray::fromStringList(required)},
                           {QStringLiteral("additionalProperties"), false}};
    };
    // `destructive` unset: the tool cannot know (a shell command may be anything), so
    // it does not claim it; the policy still treats it as MCP's default (destructive),
    // and the approval card says what the call does instead of a blanket badge.
    auto tool = [](const char *name, const char *description, QJsonObject inputSchema, bool readOnly,
                   std::optional<bool> destructive) {
        QJsonObject annotations{{QStringLiteral("readOnlyHint"), readOnly}, {QStringLiteral("openWorldHint"), false}};
        if (destructive)
            annotations.insert(QStringLiteral("destructiveHint"), *destructive);
        return QJsonObject{{QStringLiteral("name"), QString::fromUtf8(name)},
                           {QStringLiteral("description"), QString::fromUtf8(description)},
                           {QStringLiteral("inputSchema"), inputSchema},
                           {QStringLiteral("annotations"), annotations}};
    };
    const QJsonObject path = str("Path relative to the workspace");
    auto integer = [](int minimum, const char *description) {
        return QJsonObject{{QStringLiteral("type"), QStringLiteral("integer")},
                           {QStringLiteral("minimum"), minimum},
                           {QStringLiteral("description"), QString::fromUtf8(description)}};
    };
    QJsonObject execProps{
        {QStringLiteral("command"), str("Shell command line, run by /bin/sh -c in the workspace")},
        {QStringLiteral("cwd"), str("Working folder relative to the workspace")},
        {QStringLiteral("stdin"), str("Text given to the command on standard input")},
        {QStringLiteral("env"), QJsonObject{{QStringLiteral("type"), QStringLiteral("object")},
                                            {QStringLiteral("additionalProperties"),
                                             QJsonObject{{QStringLiteral("type"), QStringLiteral("string")}}}}},
        {QStringLiteral("timeout_ms"),
         QJsonObject{{QStringLiteral("type"), QStringLiteral("integer")}, {QStringLiteral("minimum"), 1}}}};
    return QJsonArray{
        tool("exec", execText.constData(), schema(execProps, {QStringLiteral("command")}), false, std::nullopt),
        tool(
            "read_file",
            "Read part of a workspace file: at most `length` bytes (default 262144, at most 1048576) from byte "
            "`offset` (default 0). A longer file comes back cut, with truncated: true and next_offset to go on. "
            "Binary files (NUL bytes, not UTF-8) are only reported unless encoding is \"base64\". FIFOs, devices "
            "and sockets are refused.",
            schema({{QStringLiteral("path"), path},
                    {QStringLiteral("offset"), integer(0, "Byte offset to start at")},
                    {QStringLiteral("length"), integer(1, "Most bytes to return (at most 1048576)")},
                    {QStringLiteral("encoding"),
                     QJsonObject{{QStringLiteral("type"), QStringLiteral("string")},
                                 {QStringLiteral("enum"), QJsonArray{QStringLiteral("text"), QStringLiteral("base64")}},
                                 {QStringLiteral("description"), QStringLiteral("text (default) or base64")}}}},
                   {QStringLiteral("path")}),
            true, false),
        tool("write_file", "Create or overwrite a file of the workspace (folders are created).",
             schema({{QStringLiteral("path"), path}, {QStringLiteral("content"), str("The whole new content")}},
                    {QStringLiteral("path"), QStringLiteral("content")}),
             false, true),
        tool("list_files",
             "List a folder of the workspace, sorted by name, at most `limit` (default and most 1000) entries from "
             "`offset`; total and next_offset say what is left. Names that are not UTF-8 show their bytes as \\xHH "
             "(flagged name_not_utf8) and can be passed back as they are shown.",
             schema({{QStringLiteral("path"), path},
                     {QStringLiteral("offset"), integer(0, "Index of the first entry")},
                     {QStringLiteral("limit"), integer(1, "Most entries to return (at most 1000)")}},
                    {}),
             true, false),
        tool("stat_file", "Type, size, mode and modification time of a workspace path.",
             schema({{QStringLiteral("path"), path}}, {QStringLiteral("path")}), true, false),
        tool("remove_file", "Remove a file, or a folder with recursive: true.",
             schema({{QStringLiteral("path"), path},
                     {QStringLiteral("recursive"), QJsonObject{{QStringLiteral("type"), QStringLiteral("boolean")}}}},
                    {QStringLiteral("path")}),
             false, true),
    };
}

MicroVmSandbox::MicroVmSandbox(MicroVmOptions options) : m_vm(std::make_unique<MicroVm>(std::move(options))) {}

MicroVmSandbox::~MicroVmSandbox() = default;

Status MicroVmSandbox::prepare(const LogSink &log)
{
    QMutexLocker lock(&m_lifecycle);
    if (!log)
        return m_vm->boot();
    // A boot ahead of any call still shows in the VM console: its lines, with no call.
    m_vm->setNoticeSink([&](const QString &stream, const QString &line) {
        log(SandboxLogLine{QString(), stream, line});
    });
    const Status s = m_vm->boot();
    m_vm->setNoticeSink({});
    return s;
}

void MicroVmSandbox::dispose()
{
    QMutexLocker lock(&m_lifecycle);
    m_vm->shutDown();
}

void MicroVmSandbox::cancel(const QString &callId)
{
    QMutexLocker lock(&m_mutex);
    if (m_fork && !callId.isEmpty() && callId == m_forkCall) {
        m_fork->cancel(callId); // the trial of a call waiting for approval, not the call itself
        return;
    }
    if (!m_current.isEmpty() && (callId.isEmpty() || callId == m_current))
        m_vm->cancel();
    else if (!callId.isEmpty())
        m_cancelledEarly = callId; // still waiting for a boot: it must not start afterwards
}

Result<QString> MicroVmSandbox::guestPath(const QString &path)
{
    const QString root = QStringLiteral("/workspace");
    if (path.contains(QChar(0)))
        return bad(QStringLiteral("path contains a NUL character"));
    QString p = path.trimmed();
    if (p.isEmpty() || p == QLatin1String("."))
        return root;
    if (!p.startsWith(QLatin1Char('/')))
        p = root + QLatin1Char('/') + p;
    const QString clean = QDir::cleanPath(p);
    if (clean != root && !clean.startsWith(root + QLatin1Char('/')))
        return bad(QStringLiteral("path \"%1\" is outside the workspace").arg(path));
    return clean;
}

std::optional<PlannedFileWrite> MicroVmSandbox::plannedWrite(const QString &tool, const QJsonObject &input,
                                                             const QString &workspaceDir)
{
    if (tool != QLatin1String("write_file") || workspaceDir.isEmpty())
        return std::nullopt;
    const Result<QString> guest = guestPath(input.value(QStringLiteral("path")).toString());
    const QString root = QStringLiteral("/workspace/");
    if (!guest || !guest->startsWith(root))
        return std::nullopt; // refused, or the workspace folder itself
    PlannedFileWrite write;
    write.relativePath = guest->mid(root.size());
    write.hostPath = QDir(workspaceDir).filePath(write.relativePath);
    write.content = writeFileContent(input);
    return write;
}

Result<SandboxOutcome> MicroVmSandbox::run(const SandboxCall &call, const LogSink &log)
{
    QMutexLocker lifecycle(&m_lifecycle);
    QElapsedTimer timer;
    timer.start();
    {
        QMutexLocker lock(&m_mutex);
        if (std::exchange(m_cancelledEarly, QString()) == call.callId)
            return Error::make(Error::Code::Io, QStringLiteral("the call was cancelled before it started"));
        m_current = call.callId;
    }
    QString oomKill; // the guest kernel's own line, when it killed for memory during the call
    m_vm->setNoticeSink([&](const QString &stream, const QString &line) {
        if (stream == QLatin1String("serial") && oomKill.isEmpty() &&
            line.contains(QLatin1String("Out of memory: Killed")))
            oomKill = line.mid(line.indexOf(QLatin1String("Out of memory"))).trimmed();
        if (log)
            log(SandboxLogLine{call.callId, stream, line});
    });
    // What the guest fetches while the call runs is recorded as the call's; what a
    // background process fetches between calls, as no call's.
    m_vm->setEgressCallId(call.callId);
    Result<QJsonValue> r = runTool(call, log);
    m_vm->setEgressCallId({});
    m_vm->setNoticeSink({});
    if (r && r->isObject() && call.tool == QLatin1String("exec"))
        if (QString why = resourceFailure(r->toObject(), oomKill); !why.isEmpty())
            r = Error::make(Error::Code::Io, why);
    {
        QMutexLocker lock(&m_mutex);
        m_current.clear();
    }
    SandboxOutcome out;
    out.durationMs = timer.elapsed();
    if (r) {
        out.ok = true;
        out.result = *r;
        return out;
    }
    if (r.error().code == Error::Code::BadInput || r.error().code == Error::Code::Io) {
        // The tool ran and failed (bad input, command timed out, guest died): an outcome.
        out.error = r.error().message;
        return out;
    }
    return r.error();
}

QString MicroVmSandbox::resourceFailure(const QJsonObject &exec, const QString &oomKill) const
{
    const MicroVmOptions &o = m_vm->options();
    const int exitCode = exec.value(QStringLiteral("exit_code")).toInt();
    const QString tail = exec.value(QStringLiteral("stderr")).toString().right(400).trimmed();
    if (!oomKill.isEmpty())
        return QStringLiteral("the guest ran out of memory (%1 MiB): %2. The VM keeps running; give it more with "
                              "\"vm\": {\"memory_mb\": N} in airlock.json (exit code %3)%4")
            .arg(o.memoryMiB)
            .arg(oomKill)
            .arg(exitCode)
            .arg(tail.isEmpty() ? QString() : QStringLiteral("; stderr ends: ") + tail);
    const QString all =
        exec.value(QStringLiteral("stdout")).toString() + exec.value(QStringLiteral("stderr")).toString();
    if (exitCode != 0 && all.contains(QLatin1String("No space left on device")))
        return QStringLiteral("the command ran out of disk space (exit code %1): %2 The VM keeps running; free space, "
                              "or give the guest a larger disk with \"vm\": {\"disk_gb\": N} in airlock.json%3")
            .arg(exitCode)
            .arg(o.guest == QLatin1String("debian")
                     ? QStringLiteral("the guest's disk is %1 GiB, and /workspace is on the host's disk.")
                           .arg(double(m_vm->diskBytes()) / double(1LL << 30), 0, 'f', 1)
                     : QStringLiteral("the busybox guest keeps files in memory, and /workspace is on the host's "
                                      "disk."))
            .arg(tail.isEmpty() ? QString() : QStringLiteral("; stderr ends: ") + tail);
    return {};
}

Result<SandboxOutcome> MicroVmSandbox::runInFork(const SandboxCall &call, const QString &workspaceCopy,
                                                 const LogSink &log)
{
    // Held throughout: the session's VM neither boots nor runs while its disk backs
    // the fork (a call approved meanwhile waits for the trial, which it cancels).
    QMutexLocker lifecycle(&m_lifecycle);
    MicroVmOptions o = m_vm->options();
    o.sessionId += QStringLiteral("-try");
    o.workspaceDir = workspaceCopy;
    o.runtimeDir.clear();
    o.diskPath.clear();
    o.forkOfDisk.clear();
    // A trial never reaches the network: whatever it asks for is refused (403, "this
    // VM has no egress gate"), so nothing it sends leaves and nothing is charged.
    o.egress.reset();
    // Nor is it previewed: the session's forwards stay the session VM's.
    o.forwards.clear();
    if (o.guest == QLatin1String("debian")) {
        const QString disk = m_vm->options().diskPath.isEmpty() ? m_vm->diskPath() : m_vm->options().diskPath;
        if (!disk.isEmpty() && QFileInfo::exists(disk)) {
            if (m_vm->isRunning()) {
                if (log)
                    log(SandboxLogLine{call.callId, QStringLiteral("vm"),
                                       QStringLiteral("stopping the session's VM: its disk backs the trial's fork, and "
                                                      "the next call boots it again")});
                m_vm->shutDown();
            }
            o.forkOfDisk = disk;
        }
    }
    auto fork = std::make_shared<MicroVmSandbox>(std::move(o));
    {
        QMutexLocker lock(&m_mutex);
        // Cancelled while the session's VM was being stopped: the fork never starts.
        if (m_cancelledEarly == call.callId) {
            m_cancelledEarly.clear();
            return Error::make(Error::Code::Io, QStringLiteral("the trial was cancelled before it started"));
        }
        m_fork = fork;
        m_forkCall = call.callId;
    }
    Result<SandboxOutcome> out = fork->run(call, log);
    {
        QMutexLocker lock(&m_mutex);
        m_fork.reset();
        m_forkCall.clear();
    }
    fork->vm().destroy(); // nothing of it is kept: no sync first
    return out;
}

Status MicroVmSandbox::checkpoint(const QString &callId)
{
    QMutexLocker lifecycle(&m_lifecycle);
    return m_vm->checkpointDisk(callId);
}

Status MicroVmSandbox::revertTo(const QString &callId)
{
    QMutexLocker lifecycle(&m_lifecycle);
    return m_vm->revertDisk(callId);
}

Status MicroVmSandbox::dropCheckpoint(const QString &callId)
{
    QMutexLocker lifecycle(&m_lifecycle);
    return m_vm->dropDiskCheckpoint(callId);
}

Result<QJsonValue> MicroVmSandbox::runTool(const SandboxCall &call, const LogSink &log)
{
    const QJsonObject &in = call.input;
    if (call.tool == QLatin1String("exec")) {
        ExecRequest req;
        const QJsonValue command = in.value(QStringLiteral("command"));
        if (command.isString())
            req.argv = {QStringLiteral("/bin/sh"), QStringLiteral("-c"), command.toString()};
        else
            for (const QJsonValue &a : command.toArray())
                req.argv << a.toString();
        if (req.argv.isEmpty())
            return bad(QStringLiteral("exec needs \"command\": an argv array or a shell string"));
        Result<QString> cwd = guestPath(in.value(QStringLiteral("cwd")).toString());
        if (!cwd)
            return cwd.error();
        req.cwd = *cwd;
        const QJsonObject env = in.value(QStringLiteral("env")).toObject();
        for (auto it = env.begin(); it != env.end(); ++it)
            req.env.insert(it.key(), it.value().toString());
        req.stdinData = in.value(QStringLiteral("stdin")).toString().toUtf8();
        req.timeoutMs = in.value(QStringLiteral("timeout_ms")).toInt(call.timeoutMs);
        CappedOutput out, err;
        LineSplitter lines(log, call.callId);
        Result<ExecResult> r = m_vm->exec(req, [&](const QString &stream, const QByteArray &bytes) {
            lines.add(stream, bytes);
            (stream == QLatin1String("stdout") ? out : err).add(bytes);
        });
        lines.flush();
        if (!r)
            return r.error();
        if (r->timedOut)
            return Error::make(Error::Code::Io, QStringLiteral("the command timed out after %1 ms and was killed "
                                                               "(the VM keeps running)")
                                                    .arg(req.timeoutMs));
        if (r->cancelled)
            return Error::make(Error::Code::Io, QStringLiteral("the command was cancelled"));
        QJsonObject o;
        o.insert(QStringLiteral("exit_code"), r->exitCode);
        o.insert(QStringLiteral("signal"), r->signal);
        o.insert(QStringLiteral("stdout"), out.text(QStringLiteral("stdout")));
        o.insert(QStringLiteral("stderr"), err.text(QStringLiteral("stderr")));
        for (const auto &[name, stream] :
             {std::pair{QStringLiteral("stdout"), &out}, std::pair{QStringLiteral("stderr"), &err}})
            if (stream->truncated()) {
                o.insert(name + QStringLiteral("_truncated"), true);
                o.insert(name + QStringLiteral("_bytes"), stream->total());
            }
        o.insert(QStringLiteral("duration_ms"), r->durationMs);
        return QJsonValue(o);
    }

    Result<QString> path = guestPath(in.value(QStringLiteral("path")).toString());
    if (!path)
        return path.error();
    QJsonObject o;
    o.insert(QStringLiteral("path"), *path);
    if (call.tool == QLatin1String("read_file")) {
        const qint64 offset = intInput(in, QStringLiteral("offset"), 0);
        const qint64 length = intInput(in, QStringLiteral("length"), kReadDefaultLength);
        const QString encoding = in.value(QStringLiteral("encoding")).toString(QStringLiteral("text"));
        if (offset < 0 || length < 1)
            return bad(QStringLiteral("read_file needs offset >= 0 and length >= 1"));
        if (encoding != QLatin1String("text") && encoding != QLatin1String("base64"))
            return bad(QStringLiteral("read_file: encoding is \"text\" or \"base64\""));
        Result<MicroVm::FileChunk> chunk = m_vm->readFile(*path, offset, qMin(length, kReadMaxLength));
        if (!chunk)
            return chunk.error();
        QByteArray data = chunk->data;
        o.insert(QStringLiteral("size"), chunk->size);
        o.insert(QStringLiteral("offset"), offset);
        if (encoding == QLatin1String("base64")) {
            o.insert(QStringLiteral("content_base64"), QString::fromLatin1(data.toBase64()));
        } else if (looksBinary(data, chunk->eof)) {
            o.insert(QStringLiteral("binary"), true);
            o.insert(QStringLiteral("length"), 0);
            o.insert(QStringLiteral("note"),
                     QStringLiteral("binary file (%1 bytes): not shown as text; pass encoding \"base64\" "
                                    "(with offset/length, at most %2 bytes a call) to read its bytes")
                         .arg(chunk->size)
                         .arg(kReadMaxLength));
            return QJsonValue(o);
        } else if (!chunk->eof) {
            data.truncate(qsizetype(wire::completeUtf8Prefix(std::string_view(data.constData(), size_t(data.size())))));
            o.insert(QStringLiteral("content"), QString::fromUtf8(data));
        } else {
            o.insert(QStringLiteral("content"), QString::fromUtf8(data));
        }
        const qint64 next = offset + data.size();
        o.insert(QStringLiteral("length"), data.size());
        const bool truncated = next < chunk->size;
        o.insert(QStringLiteral("truncated"), truncated);
        if (truncated) {
            o.insert(QStringLiteral("next_offset"), next);
            o.insert(QStringLiteral("note"), QStringLiteral("truncated: bytes %1..%2 of %3 bytes; pass offset %2 to "
                                                            "read on")
                                                 .arg(offset)
                                                 .arg(next)
                                                 .arg(chunk->size));
        }
        return QJsonValue(o);
    }
    if (call.tool == QLatin1String("write_file")) {
        const QByteArray data = writeFileContent(in);
        if (Status s = m_vm->writeFile(*path, data); !s)
            return s.error();
        o.insert(QStringLiteral("bytes"), data.size());
        return QJsonValue(o);
    }
    if (call.tool == QLatin1String("list_files")) {
        const qint64 offset = intInput(in, QStringLiteral("offset"), 0);
        const qint64 limit = intInput(in, QStringLiteral("limit"), kListMaxEntries);
        if (offset < 0 || limit < 1)
            return bad(QStringLiteral("list_files needs offset >= 0 and limit >= 1"));
        Result<MicroVm::DirPage> page = m_vm->listDir(*path, offset, qMin(limit, kListMaxEntries));
        if (!page)
            return page.error();
        o.insert(QStringLiteral("entries"), page->entries);
        o.insert(QStringLiteral("offset"), offset);
        o.insert(QStringLiteral("total"), page->total);
        o.insert(QStringLiteral("truncated"), page->truncated);
        const qint64 next = offset + page->entries.size();
        QStringList notes;
        if (page->truncated) {
            o.insert(QStringLiteral("next_offset"), next);
            notes << QStringLiteral("%1 more entries; pass offset %2").arg(page->total - next).arg(next);
        }
        if (page->partial)
            notes << QStringLiteral("the folder has more entries than the %1 sorted here").arg(page->total);
        for (const QJsonValue &e : std::as_const(page->entries))
            if (e.toObject().value(QStringLiteral("name_not_utf8")).toBool()) {
                notes << QStringLiteral("names marked name_not_utf8 are not UTF-8: their bytes are shown as \\xHH, "
                                        "and that form names them in the other tools");
                break;
            }
        if (!notes.isEmpty())
            o.insert(QStringLiteral("note"), notes.join(QStringLiteral("; ")));
        return QJsonValue(o);
    }
    if (call.tool == QLatin1String("stat_file")) {
        Result<QJsonObject> st = m_vm->stat(*path);
        if (!st)
            return st.error();
        for (auto it = st->begin(); it != st->end(); ++it)
            o.insert(it.key(), it.value());
        return QJsonValue(o);
    }
    if (call.tool == QLatin1String("remove_file")) {
        if (*path == QLatin1String("/workspace"))
            return bad(QStringLiteral("refusing to remove the workspace itself"));
        if (Status s = m_vm->remove(*path, in.value(QStringLiteral("recursive")).toBool()); !s)
            return s.error();
        return QJsonValue(o);
    }
    return bad(QStringLiteral("the microVM sandbox has no tool \"%1\"").arg(call.tool));
}

} // namespace airlock
