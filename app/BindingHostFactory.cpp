#include "app/BindingHostFactory.h"

#include "sandbox/egress/EgressGate.h"
#include "sandbox/egress/MailSender.h"
#include "sandbox/egress/R2Bucket.h"

#include <QJsonArray>

#include <algorithm>

namespace airlock {
namespace {

Error badCall(const BindingRequest &r, const QString &why)
{
    return Error::make(Error::Code::BadInput, QStringLiteral("%1 %2: %3").arg(r.kind, r.binding, why));
}

Result<BindingReply> performR2(const EgressGate &gate, const BindingRequest &r)
{
    auto opened = R2Bucket::open(gate, r.binding, r.sandbox, r.callId);
    if (!opened)
        return opened.error();
    R2Bucket &bucket = *opened;
    bucket.timeoutMs = std::max(1, r.timeoutMs);
    bucket.cancelled = r.cancelled;
    const QString key = r.args.value(u"key").toString();
    const QJsonObject options = r.args.value(u"options").toObject();
    BindingReply reply;
    if (r.action == u"put") {
        auto put = bucket.put(key, r.body, options);
        if (!put)
            return put.error();
        reply.value = put->has_value() ? QJsonValue(**put) : QJsonValue(QJsonValue::Null);
    } else if (r.action == u"get") {
        auto got = bucket.get(key, options);
        if (!got)
            return got.error();
        if (got->has_value()) {
            reply.value = (*got)->object;
            reply.hasBody = (*got)->hasBody;
            reply.body = std::move((*got)->body);
        } else {
            reply.value = QJsonValue::Null;
        }
    } else if (r.action == u"head") {
        auto head = bucket.head(key);
        if (!head)
            return head.error();
        reply.value = head->has_value() ? QJsonValue(**head) : QJsonValue(QJsonValue::Null);
    } else if (r.action == u"delete") {
        QStringList keys;
        for (const QJsonValue &k : r.args.value(u"keys").toArray()) {
            if (!k.isString())
                return badCall(r, QStringLiteral("delete: keys must be strings"));
            keys << k.toString();
        }
        if (Status s = bucket.remove(keys); !s)
            return s.error();
        reply.value = QJsonValue::Null;
    } else if (r.action == u"list") {
        auto listed = bucket.list(options);
        if (!listed)
            return listed.error();
        reply.value = *listed;
    } else {
        return badCall(r, QStringLiteral("no such call \"%1\"").arg(r.action));
    }
    return reply;
}

Result<BindingReply> performEmail(const EgressGate &gate, const BindingRequest &r)
{
    auto opened = MailSender::open(gate, r.binding, r.sandbox, r.callId);
    if (!opened)
        return opened.error();
    MailSender &sender = *opened;
    sender.timeoutMs = std::max(1, r.timeoutMs);
    sender.cancelled = r.cancelled;
    Result<MailSent> sent = Error::make(Error::Code::Internal, QString());
    if (r.action == u"send") {
        if (!r.args.value(u"message").isObject())
            return badCall(r, QStringLiteral("send expects a message object"));
        sent = sender.send(r.args.value(u"message").toObject());
    } else if (r.action == u"sendRaw") {
        QStringList to;
        for (const QJsonValue &a : r.args.value(u"to").toArray())
            to << a.toString();
        sent = sender.sendRaw(r.args.value(u"from").toString(), to, r.body);
    } else {
        return badCall(r, QStringLiteral("no such call \"%1\"").arg(r.action));
    }
    if (!sent)
        return sent.error();
    BindingReply reply;
    reply.value = QJsonObject{{QStringLiteral("messageId"), sent->messageId}};
    return reply;
}

} // namespace

Result<BindingReply> BindingHostFactory::perform(const EgressGate &gate, const BindingRequest &request)
{
    if (request.cancelled && request.cancelled->load())
        return Error::make(Error::Code::Conflict,
                           QStringLiteral("%1 %2: cancelled").arg(request.kind, request.binding));
    if (request.kind == u"r2")
        return performR2(gate, request);
    if (request.kind == u"email")
        return performEmail(gate, request);
    return badCall(request, QStringLiteral("unknown binding kind"));
}

BindingHost BindingHostFactory::make(std::shared_ptr<const EgressGate> gate)
{
    return [gate = std::move(gate)](const BindingRequest &request) { return perform(*gate, request); };
}

} // namespace airlock
