#pragma once

// The log line a microVM writes when it forwards a guest port to the host's
// loopback ("forwarding 127.0.0.1:41877 -> guest:5173", stream "forward"), in one
// place for the side that writes it (sandbox/microvm's PortForwarder) and the side
// that reads it back from the session's log (the Preview dock offers the forward).

#include <QRegularExpression>
#include <QString>

#include <optional>

namespace airlock {

struct ForwardNotice {
    int hostPort = 0;  // on 127.0.0.1
    int guestPort = 0; // in the guest

    static constexpr const char *kStream = "forward";

    QString text() const { return QStringLiteral("forwarding 127.0.0.1:%1 -> guest:%2").arg(hostPort).arg(guestPort); }

    static std::optional<ForwardNotice> parse(const QString &line)
    {
        static const QRegularExpression re(
            QStringLiteral("^forwarding 127\\.0\\.0\\.1:(\\d{1,5}) -> guest:(\\d{1,5})$"));
        const QRegularExpressionMatch m = re.match(line.trimmed());
        if (!m.hasMatch())
            return std::nullopt;
        const int host = m.captured(1).toInt(), guest = m.captured(2).toInt();
        if (host < 1 || host > 65535 || guest < 1 || guest > 65535)
            return std::nullopt;
        return ForwardNotice{host, guest};
    }
};

} // namespace airlock
