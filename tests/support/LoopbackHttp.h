#pragma once

// A plain HTTP/1.0 GET to 127.0.0.1, as any browser reading a public URL would
// make it: the whole response, status line and headers included (empty when
// nothing answers). For tests that check what a server really serves.

#include <QByteArray>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace airlock::test {

inline QByteArray loopbackHttpGet(int port, const QByteArray &path)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(quint16(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    QByteArray out;
    if (::connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) == 0) {
        const QByteArray request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
        if (::write(fd, request.constData(), size_t(request.size())) == request.size()) {
            char buffer[65536];
            ssize_t n;
            while ((n = ::read(fd, buffer, sizeof buffer)) > 0)
                out.append(buffer, qsizetype(n));
        }
    }
    ::close(fd);
    return out;
}

} // namespace airlock::test
