#pragma once

// One message a sandbox asks the egress gate to send through an email binding, and
// what the server said. The message is complete (RFC 5322, CRLF line ends); the
// envelope is separate, as in SMTP: MAIL FROM `from`, one RCPT TO per recipient
// (to, cc and bcc together; bcc never appears in the message).

#include <QByteArray>
#include <QString>
#include <QStringList>

#include <atomic>
#include <memory>

namespace airlock {

struct EgressMailRequest {
    QString sandbox; // for the audit record
    QString callId;
    QString binding;        // the email binding ("EMAIL")
    QString from;           // envelope sender
    QStringList recipients; // envelope recipients
    QByteArray message;     // the whole message, headers and body, CRLF line ends
    int timeoutMs = 60000;
    std::shared_ptr<std::atomic<bool>> cancelled;
};

struct EgressMailReceipt {
    QString server;     // "smtp://127.0.0.1:2525"
    QString address;    // the IP address the gate connected to
    int status = 0;     // the server's last SMTP reply code (250)
    qint64 bytesUp = 0; // message bytes sent
    int recipients = 0;
    bool tls = false; // the session was encrypted (SMTPS or STARTTLS)
};

} // namespace airlock
