#include "MicroVmSandbox.h"

#include <QDir>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QMutexLocker>

namespace airlock {
namespace {

constexpr qsizetype kResultOutputLimit = 64 * 1024;

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

void appendCapped(QByteArray &to, const QByteArray &bytes)
{
    if (to.size() < kResultOutputLimit)
        to += bytes.left(kResultOutputLimit - to.size());
}

Error bad(const QString &message)
{
    return Error::make(Error::Code::BadInput, message);
}

QJsonValue contentValue(const QByteArray &bytes, QJsonObject &into)
{
    const QString text = QString::fromUtf8(bytes);
    if (text.toUtf8() == bytes)
        into.insert(QStringLiteral("content"), text);
    else
        into.insert(QStringLiteral("content_base64"), QString::fromLatin1(bytes.toBase64()));
    return into;
}

} // namespace

QJsonArray MicroVmSandbox::toolDescriptions()
{
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
    auto tool = [](const char *name, const char *description, QJsonObject inputSchema, bool readOnly,
                   bool destructive) {
        return QJsonObject{{QStringLiteral("name"), QString::fromUtf8(name)},
                           {QStringLiteral("description"), QString::fromUtf8(description)},
                           {QStringLiteral("inputSchema"), inputSchema},
                           {QStringLiteral("annotations"), QJsonObject{{QStringLiteral("readOnlyHint"), readOnly},
                                                                       {QStringLiteral("destructiveHint"), destructive},
                                                                       {QStringLiteral("openWorldHint"), false}}}};
    };
    const QJsonObject path = str("Path relative to the workspace");
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
        tool("exec",
             "Run a shell command in the sandbox VM (Linux, busybox, no network). Returns exit_code, stdout, stderr.",
             schema(execProps, {QStringLiteral("command")}), false, true),
        tool("read_file", "Read a file of the workspace.",
             schema({{QStringLiteral("path"), path}}, {QStringLiteral("path")}), true, false),
        tool("write_file", "Create or overwrite a file of the workspace (folders are created).",
             schema({{QStringLiteral("path"), path}, {QStringLiteral("content"), str("The whole new content")}},
                    {QStringLiteral("path"), QStringLiteral("content")}),
             false, true),
        tool("list_files", "List a folder of the workspace.", schema({{QStringLiteral("path"), path}}, {}), true,
             false),
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
    m_vm->destroy();
}

void MicroVmSandbox::cancel(const QString &callId)
{
    QMutexLocker lock(&m_mutex);
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
    m_vm->setNoticeSink([&](const QString &stream, const QString &line) {
        if (log)
            log(SandboxLogLine{call.callId, stream, line});
    });
    Result<QJsonValue> r = runTool(call, log);
    m_vm->setNoticeSink({});
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
        QByteArray out, err;
        LineSplitter lines(log, call.callId);
        Result<ExecResult> r = m_vm->exec(req, [&](const QString &stream, const QByteArray &bytes) {
            lines.add(stream, bytes);
            appendCapped(stream == QLatin1String("stdout") ? out : err, bytes);
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
        o.insert(QStringLiteral("stdout"), QString::fromUtf8(out));
        o.insert(QStringLiteral("stderr"), QString::fromUtf8(err));
        o.insert(QStringLiteral("duration_ms"), r->durationMs);
        return QJsonValue(o);
    }

    Result<QString> path = guestPath(in.value(QStringLiteral("path")).toString());
    if (!path)
        return path.error();
    QJsonObject o;
    o.insert(QStringLiteral("path"), *path);
    if (call.tool == QLatin1String("read_file")) {
        Result<QByteArray> data = m_vm->readFile(*path);
        if (!data)
            return data.error();
        o.insert(QStringLiteral("size"), data->size());
        return contentValue(*data, o);
    }
    if (call.tool == QLatin1String("write_file")) {
        QByteArray data;
        if (in.contains(QStringLiteral("content_base64")))
            data = QByteArray::fromBase64(in.value(QStringLiteral("content_base64")).toString().toLatin1());
        else
            data = in.value(QStringLiteral("content")).toString().toUtf8();
        if (Status s = m_vm->writeFile(*path, data); !s)
            return s.error();
        o.insert(QStringLiteral("bytes"), data.size());
        return QJsonValue(o);
    }
    if (call.tool == QLatin1String("list_files")) {
        Result<QJsonArray> entries = m_vm->listDir(*path);
        if (!entries)
            return entries.error();
        o.insert(QStringLiteral("entries"), *entries);
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
