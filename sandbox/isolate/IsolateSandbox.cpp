#include "sandbox/isolate/IsolateSandbox.h"

#include <QDateTime>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>

namespace airlock {

IsolateSandbox::IsolateSandbox() : IsolateSandbox(IsolateClient::Options{}) {}

IsolateSandbox::IsolateSandbox(IsolateClient::Options options) : m_client(std::move(options)) {}

IsolateSandbox::~IsolateSandbox() = default;

Status IsolateSandbox::prepare(const LogSink &)
{
    return m_client.start();
}

Result<QJsonArray> IsolateSandbox::loadToolFile(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return Error::make(Error::Code::NotFound,
                           QStringLiteral("cannot read tool file %1: %2").arg(path, file.errorString()));
    const QByteArray source = file.readAll();
    const QString name = QFileInfo(path).fileName();
    const IsolateClient::Reply reply = m_client.schema(name, source);
    if (!reply.ok)
        return Error::make(reply.errorCode == QLatin1String("helper_unavailable") ? Error::Code::Internal
                                                                                  : Error::Code::BadInput,
                           reply.message);
    const QJsonArray tools = QJsonDocument::fromJson(reply.value).array();
    std::lock_guard lock(m_mutex);
    for (const QJsonValue &t : tools)
        m_tools[t.toObject().value(QStringLiteral("name")).toString()] = Tool{name, source, {}};
    return tools;
}

Result<SandboxOutcome> IsolateSandbox::runInFork(const SandboxCall &call, const QString &, const LogSink &log)
{
    return runCall(call, log, true);
}

Result<SandboxOutcome> IsolateSandbox::run(const SandboxCall &call, const LogSink &log)
{
    return runCall(call, log, false);
}

void IsolateSandbox::setEgress(EgressFetch fetch)
{
    std::lock_guard lock(m_mutex);
    m_egress = std::move(fetch);
}

void IsolateSandbox::setServiceBindings(QStringList names)
{
    std::lock_guard lock(m_mutex);
    m_services = std::move(names);
}

void IsolateSandbox::setBindingHost(BindingHost host)
{
    std::lock_guard lock(m_mutex);
    m_bindingHost = std::move(host);
}

void IsolateSandbox::setObjectBindings(QJsonObject bindings)
{
    std::lock_guard lock(m_mutex);
    m_objectBindings = std::move(bindings);
}

void IsolateSandbox::setEnv(const QString &tool, const QJsonObject &env)
{
    std::lock_guard lock(m_mutex);
    if (auto it = m_tools.find(tool); it != m_tools.end())
        it->second.env = env;
}

Result<SandboxOutcome> IsolateSandbox::runCall(const SandboxCall &call, const LogSink &log, bool trial)
{
    IsolateClient::Request request;
    EgressFetch egress;
    BindingHost bindingHost;
    {
        std::lock_guard lock(m_mutex);
        auto it = m_tools.find(call.tool);
        if (it == m_tools.end())
            return Error::make(Error::Code::NotFound,
                               QStringLiteral("no JavaScript tool named \"%1\" is loaded").arg(call.tool));
        request.file = it->second.file;
        request.source = it->second.source;
        request.envJson = QJsonDocument(it->second.env).toJson(QJsonDocument::Compact);
        request.id = m_client.reserveId();
        m_inFlight[call.callId] = request.id;
        egress = m_egress;
        request.services = m_services;
        request.objectBindings = m_objectBindings;
        bindingHost = m_bindingHost;
    }
    // A trial never reaches the gate at all: it makes no request, allowed or not.
    if (trial) {
        request.fetch = [](const EgressRequest &) -> Result<EgressResponse> {
            return Error::make(Error::Code::Conflict,
                               QStringLiteral("fetch refused: a trial run makes no network requests"));
        };
    } else if (!egress) {
        request.fetch = [](const EgressRequest &) -> Result<EgressResponse> {
            return Error::make(Error::Code::Conflict,
                               QStringLiteral("fetch refused: this session has no network access"));
        };
    } else {
        request.fetch = [egress, callId = call.callId](const EgressRequest &asked) {
            EgressRequest r = asked;
            r.sandbox = QStringLiteral("isolate");
            r.callId = callId;
            return egress(r);
        };
    }
    // Binding calls likewise: a trial stores no object and sends no mail.
    if (trial) {
        request.bindings = [](const BindingRequest &asked) -> Result<BindingReply> {
            return Error::make(
                Error::Code::Conflict,
                QStringLiteral("%1 %2: refused: a trial run makes no network requests").arg(asked.kind, asked.binding));
        };
    } else if (!bindingHost) {
        request.bindings = [](const BindingRequest &asked) -> Result<BindingReply> {
            return Error::make(
                Error::Code::Conflict,
                QStringLiteral("%1 %2: refused: this session has no network access").arg(asked.kind, asked.binding));
        };
    } else {
        request.bindings = [bindingHost, callId = call.callId](const BindingRequest &asked) {
            BindingRequest r = asked;
            r.sandbox = QStringLiteral("isolate");
            r.callId = callId;
            return bindingHost(r);
        };
    }
    request.tool = call.tool;
    request.inputJson = QJsonDocument(call.input).toJson(QJsonDocument::Compact);
    request.timeoutMs = call.timeoutMs;

    const qint64 started = QDateTime::currentMSecsSinceEpoch();
    const IsolateClient::Reply reply = m_client.run(request, [&](const QString &level, const QString &text) {
        if (log)
            log(SandboxLogLine{call.callId, QStringLiteral("console"),
                               level == QLatin1String("info") ? text : level + QStringLiteral(": ") + text});
    });
    {
        std::lock_guard lock(m_mutex);
        m_inFlight.erase(call.callId);
    }
    SandboxOutcome outcome;
    outcome.durationMs = QDateTime::currentMSecsSinceEpoch() - started;
    outcome.ok = reply.ok;
    if (reply.ok) {
        outcome.result = reply.isString ? QJsonValue(QString::fromUtf8(reply.value))
                                        : QJsonDocument::fromJson("[" + reply.value + "]").array().at(0);
    } else {
        outcome.error = reply.message;
    }
    return outcome;
}

void IsolateSandbox::cancel(const QString &callId)
{
    qint64 id = 0;
    {
        std::lock_guard lock(m_mutex);
        if (auto it = m_inFlight.find(callId); it != m_inFlight.end())
            id = it->second;
    }
    if (id)
        m_client.cancel(id);
}

void IsolateSandbox::dispose()
{
    std::lock_guard lock(m_mutex);
    m_tools.clear();
}

} // namespace airlock
