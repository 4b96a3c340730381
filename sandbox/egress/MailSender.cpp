#include "sandbox/egress/MailSender.h"

#include "core/egress/EgressMailAddress.h"

#include <QRandomGenerator>

namespace airlock {

namespace {

QByteArray randomHex(int bytes)
{
    QByteArray raw(bytes, Qt::Uninitialized);
    QRandomGenerator::system()->fillRange(reinterpret_cast<quint32 *>(raw.data()), bytes / 4);
    return raw.toHex();
}

// The raw message's Message-ID, if its header block has one.
QString messageIdOf(const QByteArray &crlf)
{
    const qsizetype end = crlf.indexOf("\r\n\r\n");
    const QList<QByteArray> lines = crlf.left(end < 0 ? crlf.size() : end).split('\n');
    for (const QByteArray &line : lines)
        if (line.toLower().startsWith("message-id:"))
            return QString::fromLatin1(line.mid(11).trimmed());
    return {};
}

} // namespace

Result<MailSender> MailSender::open(const EgressGate &gate, const QString &binding, const QString &sandbox,
                                    const QString &callId)
{
    const EgressBinding *b = gate.policy().binding(binding);
    if (!b || b->type != EgressBinding::Type::Email)
        return Error::make(
            Error::Code::NotFound,
            QStringLiteral("email %1: no email binding of that name in airlock.json").arg(binding.left(100)));
    return MailSender(gate, binding, sandbox, callId);
}

MailSender::MailSender(const EgressGate &gate, QString binding, QString sandbox, QString callId)
    : m_gate(&gate), m_binding(std::move(binding)), m_sandbox(std::move(sandbox)), m_callId(std::move(callId))
{
}

QString MailSender::newMessageId(const QString &from) const
{
    const QString domain = from.mid(from.lastIndexOf(u'@') + 1);
    return u'<' + QString::fromLatin1(randomHex(16)) + u'@' +
           (domain.isEmpty() ? QStringLiteral("airlock.invalid") : domain) + u'>';
}

Result<MailSent> MailSender::send(const QJsonObject &json) const
{
    auto message = MailMessage::fromJson(json);
    if (!message)
        return Error::make(message.error().code,
                           QStringLiteral("email %1: %2").arg(m_binding, message.error().message));
    return send(*message);
}

Result<MailSent> MailSender::send(const MailMessage &message) const
{
    if (Status s = message.validate(); !s)
        return Error::make(s.error().code, QStringLiteral("email %1: %2").arg(m_binding, s.error().message));
    const QString from = *EgressMailAddress::check(message.from);
    const QString id = newMessageId(from);
    auto built = message.build(id, QDateTime::currentDateTimeUtc(), "=_airlock_" + randomHex(12));
    if (!built)
        return Error::make(built.error().code, QStringLiteral("email %1: %2").arg(m_binding, built.error().message));
    return deliver(from, message.recipients(), *built, id);
}

Result<MailSent> MailSender::sendRaw(const QString &from, const QStringList &to, const QByteArray &raw) const
{
    QByteArray message = MailMessage::toCrlf(raw);
    const qsizetype end = message.indexOf("\r\n\r\n");
    if (end <= 0 || !message.left(message.indexOf("\r\n")).contains(':'))
        return Error::make(Error::Code::BadInput,
                           QStringLiteral("email %1: the raw message has no header block (headers, an empty line, "
                                          "then the body)")
                               .arg(m_binding));
    QString id = messageIdOf(message);
    if (id.isEmpty()) {
        auto checked = EgressMailAddress::check(from);
        id = newMessageId(checked ? *checked : from);
        message.prepend("Message-ID: " + id.toLatin1() + "\r\n");
    }
    if (!message.endsWith("\r\n"))
        message += "\r\n";
    return deliver(from, to, message, id);
}

Result<MailSent> MailSender::deliver(const QString &from, const QStringList &recipients, const QByteArray &message,
                                     const QString &messageId) const
{
    EgressMailRequest r;
    r.sandbox = m_sandbox;
    r.callId = m_callId;
    r.binding = m_binding;
    r.from = from;
    r.recipients = recipients;
    r.message = message;
    r.timeoutMs = timeoutMs;
    r.cancelled = cancelled;
    auto receipt = m_gate->sendMail(r);
    if (!receipt)
        return Error::make(receipt.error().code,
                           QStringLiteral("email %1: %2").arg(m_binding, receipt.error().message));
    return MailSent{messageId, *receipt};
}

} // namespace airlock
