#include "app/PlatformToolSandbox.h"

#include "sandbox/egress/MailSender.h"
#include "sandbox/egress/R2Bucket.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonObject>
#include <QLocale>
#include <QMimeDatabase>
#include <QScopeGuard>

namespace airlock {
namespace {

Error bad(const QString &message)
{
    return Error::make(Error::Code::BadInput, message);
}

QStringList bindingsOf(const EgressPolicy &policy, EgressBinding::Type type)
{
    QStringList out;
    for (const EgressBinding &b : policy.bindings())
        if (b.type == type)
            out << b.name;
    return out;
}

// The binding a call names, or the only one of its kind.
Result<const EgressBinding *> chosen(const EgressPolicy &policy, EgressBinding::Type type, const QJsonObject &input,
                                     const QString &field)
{
    const QStringList names = bindingsOf(policy, type);
    QString name = input.value(field).toString();
    if (name.isEmpty() && names.size() == 1)
        name = names.first();
    if (name.isEmpty())
        return bad(QStringLiteral("give \"%1\": one of %2").arg(field, names.join(QStringLiteral(", "))));
    if (!names.contains(name))
        return bad(QStringLiteral("\"%1\" is not a %2 binding of this project (there are: %3)")
                       .arg(name, type == EgressBinding::Type::R2 ? QStringLiteral("bucket") : QStringLiteral("email"),
                            names.join(QStringLiteral(", "))));
    return policy.binding(name);
}

QString bytes(qint64 n)
{
    return QLocale(QLocale::English).toString(n) + (n == 1 ? QStringLiteral(" byte") : QStringLiteral(" bytes"));
}

QStringList strings(const QJsonValue &v)
{
    QStringList out;
    for (const QJsonValue &x : v.toArray())
        out << x.toString();
    return out;
}

// A sender the binding allows as it stands (not a pattern), for calls that give none.
QString defaultSender(const EgressBinding &b)
{
    for (const QString &from : b.allowedFrom)
        if (!from.contains(u'*'))
            return from;
    return {};
}

QString contentTypeFor(const QString &name, bool text)
{
    const QMimeType type = QMimeDatabase().mimeTypeForFile(name, QMimeDatabase::MatchExtension);
    if (type.isValid() && !type.isDefault())
        return type.name();
    return text ? QStringLiteral("text/plain; charset=utf-8") : QStringLiteral("application/octet-stream");
}

// Where an uploaded object can be read: the binding's public URL, else the
// bucket's own URL on its endpoint (readable there when the bucket is public).
Result<QString> objectUrl(const EgressBinding &b, const QString &key)
{
    auto path = R2Bucket::encodeKey(key);
    if (!path)
        return path.error();
    QString base = b.publicUrl.isEmpty() ? b.url.url() : b.publicUrl;
    while (base.endsWith(u'/'))
        base.chop(1);
    return QString(base + QString::fromLatin1(*path));
}

QJsonObject prop(const char *type, const char *description)
{
    return {{QStringLiteral("type"), QLatin1String(type)}, {QStringLiteral("description"), QLatin1String(description)}};
}

QJsonObject addressList(const char *description)
{
    return {{QStringLiteral("type"), QStringLiteral("array")},
            {QStringLiteral("items"), QJsonObject{{QStringLiteral("type"), QStringLiteral("string")},
                                                  {QStringLiteral("format"), QStringLiteral("email")}}},
            {QStringLiteral("description"), QLatin1String(description)}};
}

// A tool as the model sees it. The binding a call uses is its input's `field`,
// one of `bindings`, required when there is more than one.
QJsonObject toolDescription(const QString &name, const QString &description, QJsonObject properties,
                            QJsonArray required, const QString &field, const QStringList &bindings,
                            const QString &fieldDescription, bool destructive)
{
    properties.insert(field, QJsonObject{{QStringLiteral("type"), QStringLiteral("string")},
                                         {QStringLiteral("enum"), QJsonArray::fromStringList(bindings)},
                                         {QStringLiteral("description"), fieldDescription}});
    if (bindings.size() > 1)
        required << field;
    return {{QStringLiteral("name"), name},
            {QStringLiteral("description"), description},
            {QStringLiteral("inputSchema"), QJsonObject{{QStringLiteral("type"), QStringLiteral("object")},
                                                        {QStringLiteral("properties"), properties},
                                                        {QStringLiteral("required"), required},
                                                        {QStringLiteral("additionalProperties"), false}}},
            {QStringLiteral("annotations"), QJsonObject{{QStringLiteral("readOnlyHint"), false},
                                                        {QStringLiteral("destructiveHint"), destructive},
                                                        {QStringLiteral("openWorldHint"), true}}}};
}

} // namespace

PlatformToolSandbox::PlatformToolSandbox(std::shared_ptr<const EgressGate> gate, QString workspaceDir)
    : m_gate(std::move(gate)), m_workspaceDir(std::move(workspaceDir))
{
}

QJsonArray PlatformToolSandbox::toolDescriptions(const EgressPolicy &policy)
{
    QJsonArray out;
    const QStringList buckets = bindingsOf(policy, EgressBinding::Type::R2);
    if (!buckets.isEmpty()) {
        QJsonObject properties{
            {QStringLiteral("key"),
             QJsonObject{{QStringLiteral("type"), QStringLiteral("string")},
                         {QStringLiteral("minLength"), 1},
                         {QStringLiteral("maxLength"), 1024},
                         {QStringLiteral("description"), QStringLiteral("Object key, e.g. reports/q3.pdf")}}},
            {QStringLiteral("path"), prop("string", "Workspace file to upload (a path relative to the workspace)")},
            {QStringLiteral("content"), prop("string", "UTF-8 text to upload instead of a file")},
            {QStringLiteral("contentType"),
             prop("string", "MIME type; by default from the file name or key (text/plain for content)")}};
        out << toolDescription(
            kHostFile,
            QStringLiteral("Upload a workspace file (path) or text (content) to an object storage bucket and get the "
                           "URL it is served at. Overwrites an object with the same key."),
            properties, {QStringLiteral("key")}, QStringLiteral("bucket"), buckets,
            QStringLiteral("Bucket binding to upload to"), true);
    }
    const QStringList mail = bindingsOf(policy, EgressBinding::Type::Email);
    if (!mail.isEmpty()) {
        QJsonObject properties{
            {QStringLiteral("from"), QJsonObject{{QStringLiteral("type"), QStringLiteral("string")},
                                                 {QStringLiteral("format"), QStringLiteral("email")},
                                                 {QStringLiteral("description"),
                                                  QStringLiteral("Sender; by default the project's sender address")}}},
            {QStringLiteral("to"), addressList("Recipients")},
            {QStringLiteral("cc"), addressList("Copy recipients")},
            {QStringLiteral("bcc"), addressList("Blind copy recipients (not shown in the message)")},
            {QStringLiteral("subject"), prop("string", "Subject line")},
            {QStringLiteral("text"), prop("string", "Plain-text body")},
            {QStringLiteral("html"), prop("string", "HTML body, sent as an alternative to the text")},
            {QStringLiteral("attachments"),
             QJsonObject{
                 {QStringLiteral("type"), QStringLiteral("array")},
                 {QStringLiteral("items"), QJsonObject{{QStringLiteral("type"), QStringLiteral("string")}}},
                 {QStringLiteral("description"), QStringLiteral("Workspace files to attach (relative paths)")}}}};
        out << toolDescription(
            kSendEmail,
            QStringLiteral("Send an email (plain text, optionally HTML, with workspace files attached) through the "
                           "project's mail server. Every message is shown to the person for approval first."),
            properties, {QStringLiteral("to"), QStringLiteral("subject"), QStringLiteral("text")},
            QStringLiteral("binding"), mail, QStringLiteral("Email binding to send through"), false);
    }
    return out;
}

QStringList PlatformToolSandbox::describeCall(const EgressPolicy &policy, const QString &workspaceDir,
                                              const QString &tool, const QJsonObject &input)
{
    QStringList out;
    const auto fileLine = [&](const QString &label, const QString &path) {
        auto file = workspaceFile(workspaceDir, path);
        out << (file ? QStringLiteral("%1: %2 (%3)").arg(label, path, bytes(QFileInfo(*file).size()))
                     : QStringLiteral("%1: %2 — %3").arg(label, path, file.error().message));
    };
    if (tool == kHostFile) {
        auto b = chosen(policy, EgressBinding::Type::R2, input, QStringLiteral("bucket"));
        if (!b)
            return {QStringLiteral("Bucket: ") + b.error().message};
        const EgressBinding &binding = **b;
        out << QStringLiteral("Bucket: %1 — bucket \"%2\" at %3")
                   .arg(binding.name, binding.bucket, binding.url.origin());
        const QString key = input.value(u"key").toString();
        out << QStringLiteral("Key: ") + key;
        const QString path = input.value(u"path").toString();
        if (!path.isEmpty())
            fileLine(QStringLiteral("Uploads"), path);
        else
            out << QStringLiteral("Uploads: %1 of text given in the call")
                       .arg(bytes(input.value(u"content").toString().toUtf8().size()));
        const QString type = input.value(u"contentType").toString();
        out << QStringLiteral("Content type: ") +
                   (type.isEmpty() ? contentTypeFor(path.isEmpty() ? key : path, path.isEmpty()) : type);
        if (auto url = objectUrl(binding, key))
            out << QStringLiteral("URL: ") + *url;
        if (!binding.credentialNames().isEmpty())
            out << QStringLiteral("Signed with: ") + binding.credentialNames().join(QStringLiteral(", "));
    } else if (tool == kSendEmail) {
        auto b = chosen(policy, EgressBinding::Type::Email, input, QStringLiteral("binding"));
        if (!b)
            return {QStringLiteral("Mail: ") + b.error().message};
        const EgressBinding &binding = **b;
        const QString from = input.value(u"from").toString();
        out << QStringLiteral("From: ") + (from.isEmpty() ? defaultSender(binding) : from);
        for (const auto &[label, field] :
             {std::pair{QStringLiteral("To"), u"to"}, std::pair{QStringLiteral("Cc"), u"cc"},
              std::pair{QStringLiteral("Bcc"), u"bcc"}}) {
            const QStringList list = strings(input.value(field));
            if (!list.isEmpty())
                out << label + QStringLiteral(": ") + list.join(QStringLiteral(", "));
        }
        out << QStringLiteral("Subject: ") + input.value(u"subject").toString();
        for (const QString &path : strings(input.value(u"attachments")))
            fileLine(QStringLiteral("Attachment"), path);
        out << QStringLiteral("Via: %1 (binding %2)").arg(binding.smtp.url(), binding.name);
    }
    return out;
}

Result<QString> PlatformToolSandbox::workspaceFile(const QString &workspaceDir, const QString &path)
{
    if (workspaceDir.isEmpty())
        return bad(QStringLiteral("there is no workspace folder to read from"));
    if (path.isEmpty() || QDir::isAbsolutePath(path) || path.startsWith(u'~'))
        return bad(QStringLiteral("\"%1\" must be a path relative to the workspace").arg(path));
    const QString root = QFileInfo(workspaceDir).canonicalFilePath();
    const QFileInfo info(QDir(root).absoluteFilePath(path));
    const QString real = info.canonicalFilePath();
    if (real.isEmpty())
        return bad(QStringLiteral("no file %1 in the workspace").arg(path));
    if (root.isEmpty() || !real.startsWith(root + u'/'))
        return bad(QStringLiteral("%1 is outside the workspace").arg(path));
    if (!QFileInfo(real).isFile())
        return bad(QStringLiteral("%1 is not a regular file").arg(path));
    if (QFileInfo(real).size() > kMaxUploadBytes)
        return bad(QStringLiteral("%1 is %2 MiB; at most %3 MiB are sent")
                       .arg(path)
                       .arg(QFileInfo(real).size() >> 20)
                       .arg(kMaxUploadBytes >> 20));
    return real;
}

Status PlatformToolSandbox::prepare(const LogSink &)
{
    return m_gate ? Status{} : Status(bad(QStringLiteral("no egress gate for the platform tools")));
}

Result<SandboxOutcome> PlatformToolSandbox::run(const SandboxCall &call, const LogSink &log)
{
    QElapsedTimer timer;
    timer.start();
    SandboxOutcome outcome;
    const CancelFlag cancelled = flagFor(call.callId);
    const auto forget = qScopeGuard([&] {
        std::lock_guard lock(m_mutex);
        m_flags.remove(call.callId);
    });
    if (cancelled->load()) {
        outcome.error = QStringLiteral("cancelled before it started");
        return outcome;
    }
    // A cancel ends the request in flight (the gate's transfer stops at once; the
    // Egress log records how far it got).
    Result<QJsonObject> result = call.tool == kHostFile ? hostFile(call, cancelled)
                                 : call.tool == kSendEmail
                                     ? sendEmail(call, cancelled)
                                     : Result<QJsonObject>(bad(QStringLiteral("no tool %1").arg(call.tool)));
    // A cancel that came after the server took the upload or the mail does not undo
    // it: the result stands (a retry would send the mail twice).
    if (cancelled->load() && !result) {
        outcome.error = QStringLiteral("cancelled: %1").arg(result.error().message);
        return outcome;
    }
    outcome.durationMs = timer.elapsed();
    if (!result) {
        outcome.error = result.error().message;
        return outcome;
    }
    if (log)
        log(SandboxLogLine{call.callId, QStringLiteral("stdout"),
                           call.tool == kHostFile
                               ? QStringLiteral("uploaded to %1").arg(result->value(u"url").toString())
                               : QStringLiteral("sent %1").arg(result->value(u"messageId").toString())});
    outcome.ok = true;
    outcome.result = *result;
    return outcome;
}

void PlatformToolSandbox::cancel(const QString &callId)
{
    if (callId.isEmpty()) { // every call running now
        std::lock_guard lock(m_mutex);
        for (const CancelFlag &flag : std::as_const(m_flags))
            flag->store(true);
        return;
    }
    flagFor(callId)->store(true);
}

PlatformToolSandbox::CancelFlag PlatformToolSandbox::flagFor(const QString &callId)
{
    std::lock_guard lock(m_mutex);
    CancelFlag &flag = m_flags[callId];
    if (!flag)
        flag = std::make_shared<std::atomic<bool>>(false);
    return flag;
}

Result<QJsonObject> PlatformToolSandbox::hostFile(const SandboxCall &call, const CancelFlag &cancelled) const
{
    const QJsonObject &in = call.input;
    auto b = chosen(m_gate->policy(), EgressBinding::Type::R2, in, QStringLiteral("bucket"));
    if (!b)
        return b.error();
    const QString key = in.value(u"key").toString();
    const QString path = in.value(u"path").toString();
    const bool hasContent = in.value(u"content").isString();
    if (path.isEmpty() == !hasContent)
        return bad(QStringLiteral("give exactly one of \"path\" (a workspace file) or \"content\" (text)"));
    QByteArray data;
    if (!path.isEmpty()) {
        auto file = workspaceFile(m_workspaceDir, path);
        if (!file)
            return file.error();
        QFile f(*file);
        if (!f.open(QIODevice::ReadOnly))
            return bad(QStringLiteral("cannot read %1: %2").arg(path, f.errorString()));
        data = f.readAll();
    } else {
        data = in.value(u"content").toString().toUtf8();
    }
    QString type = in.value(u"contentType").toString();
    if (type.isEmpty())
        type = contentTypeFor(path.isEmpty() ? key : path, path.isEmpty());
    auto bucket = R2Bucket::open(*m_gate, (*b)->name, QStringLiteral("host"), call.callId);
    if (!bucket)
        return bucket.error();
    bucket->cancelled = cancelled;
    auto put = bucket->put(
        key, data, QJsonObject{{QStringLiteral("httpMetadata"), QJsonObject{{QStringLiteral("contentType"), type}}}});
    if (!put)
        return put.error();
    auto url = objectUrl(**b, key);
    if (!url)
        return url.error();
    const QJsonObject object = put->value_or(QJsonObject());
    return QJsonObject{{QStringLiteral("url"), *url},         {QStringLiteral("bucket"), (*b)->name},
                       {QStringLiteral("key"), key},          {QStringLiteral("size"), qint64(data.size())},
                       {QStringLiteral("contentType"), type}, {QStringLiteral("etag"), object.value(u"etag")}};
}

Result<QJsonObject> PlatformToolSandbox::sendEmail(const SandboxCall &call, const CancelFlag &cancelled) const
{
    const QJsonObject &in = call.input;
    auto b = chosen(m_gate->policy(), EgressBinding::Type::Email, in, QStringLiteral("binding"));
    if (!b)
        return b.error();
    MailMessage m;
    m.from = in.value(u"from").toString();
    if (m.from.isEmpty())
        m.from = defaultSender(**b);
    if (m.from.isEmpty())
        return bad(QStringLiteral("give \"from\": the binding %1 allows senders by pattern only (%2)")
                       .arg((*b)->name, (*b)->allowedFrom.join(QStringLiteral(", "))));
    m.to = strings(in.value(u"to"));
    m.cc = strings(in.value(u"cc"));
    m.bcc = strings(in.value(u"bcc"));
    m.subject = in.value(u"subject").toString();
    m.text = in.value(u"text").toString();
    m.html = in.value(u"html").toString();
    qint64 attached = 0;
    for (const QString &path : strings(in.value(u"attachments"))) {
        auto file = workspaceFile(m_workspaceDir, path);
        if (!file)
            return file.error();
        QFile f(*file);
        if (!f.open(QIODevice::ReadOnly))
            return bad(QStringLiteral("cannot read %1: %2").arg(path, f.errorString()));
        MailAttachment a;
        a.filename = QFileInfo(path).fileName();
        a.contentType = contentTypeFor(a.filename, false);
        a.data = f.readAll();
        attached += a.data.size();
        m.attachments << std::move(a);
    }
    auto sender = MailSender::open(*m_gate, (*b)->name, QStringLiteral("host"), call.callId);
    if (!sender)
        return sender.error();
    sender->cancelled = cancelled;
    auto sent = sender->send(m);
    if (!sent)
        return sent.error();
    return QJsonObject{{QStringLiteral("messageId"), sent->messageId},
                       {QStringLiteral("from"), m.from},
                       {QStringLiteral("recipients"), sent->receipt.recipients},
                       {QStringLiteral("attachments"), qint64(m.attachments.size())},
                       {QStringLiteral("attachedBytes"), attached}};
}

} // namespace airlock
