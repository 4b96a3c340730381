#pragma once

// The host side of an email binding: env.EMAIL.send({...}) and Cloudflare's
// send(new EmailMessage(from, to, raw)) become these calls. The message is built
// here (MailMessage) and handed to the session's egress gate (EgressGate::sendMail),
// which checks the envelope against the binding's allow lists before any
// connection, checks the server's addresses, logs in with the binding's secrets
// and records the send. Blocking and thread-safe (call from a worker thread).

#include "sandbox/egress/EgressGate.h"
#include "sandbox/egress/MailMessage.h"

namespace airlock {

struct MailSent {
    QString messageId; // "<…@domain>"
    EgressMailReceipt receipt;
};

class MailSender {
public:
    // `gate` must outlive the sender; `binding` must be an email binding of its policy.
    static Result<MailSender> open(const EgressGate &gate, const QString &binding, const QString &sandbox,
                                   const QString &callId);

    Result<MailSent> send(const MailMessage &message) const;
    Result<MailSent> send(const QJsonObject &json) const;
    // A complete message (EmailMessage(from, to, raw)): bare LF become CRLF; a
    // Message-ID is added at the top when it has none. `to`: the envelope recipients.
    Result<MailSent> sendRaw(const QString &from, const QStringList &to, const QByteArray &raw) const;

    int timeoutMs = 60000;
    // Set from another thread (the call was stopped): the SMTP exchange in flight
    // ends at once, before the message is accepted if it was not yet.
    std::shared_ptr<std::atomic<bool>> cancelled;

private:
    MailSender(const EgressGate &gate, QString binding, QString sandbox, QString callId);
    QString newMessageId(const QString &from) const;
    Result<MailSent> deliver(const QString &from, const QStringList &recipients, const QByteArray &message,
                             const QString &messageId) const;

    const EgressGate *m_gate;
    QString m_binding, m_sandbox, m_callId;
};

} // namespace airlock
