#include "sandbox/microvm/AgentChannel.h"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

namespace airlock {

AgentChannel::AgentChannel() : m_wakeFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

AgentChannel::~AgentChannel()
{
    close();
    if (m_wakeFd >= 0)
        ::close(m_wakeFd);
}

qint64 AgentChannel::nowMs()
{
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return qint64(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

void AgentChannel::close()
{
    if (m_fd >= 0)
        ::close(m_fd);
    m_fd = -1;
    m_decoder.reset();
}

Status AgentChannel::connectTo(const QString &socketPath, qint64 deadlineMs)
{
    close();
    const QByteArray path = socketPath.toLocal8Bit();
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (size_t(path.size()) >= sizeof addr.sun_path)
        return Error::make(Error::Code::BadInput, QStringLiteral("socket path too long: %1").arg(socketPath));
    std::memcpy(addr.sun_path, path.constData(), size_t(path.size()));
    QString last;
    while (true) {
        const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            return Error::make(Error::Code::Io,
                               QStringLiteral("socket: %1").arg(QString::fromLocal8Bit(strerror(errno))));
        if (::connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) == 0) {
            m_fd = fd;
            return {};
        }
        last = QString::fromLocal8Bit(strerror(errno));
        ::close(fd);
        if (nowMs() >= deadlineMs)
            return Error::make(Error::Code::Io,
                               QStringLiteral("cannot connect to the agent channel %1: %2").arg(socketPath, last));
        const timespec tick{0, 5 * 1000 * 1000};
        ::nanosleep(&tick, nullptr);
    }
}

Status AgentChannel::send(const wire::Json &header, std::string_view payload)
{
    if (m_fd < 0)
        return Error::make(Error::Code::Io, QStringLiteral("the agent channel is closed"));
    const std::optional<std::string> bytes = wire::encodeFrame(header, payload);
    if (!bytes)
        return Error::make(
            Error::Code::BadInput,
            QStringLiteral("request too large for one frame (limit %1 bytes)").arg(qulonglong(wire::kMaxPayload)));
    const char *p = bytes->data();
    size_t left = bytes->size();
    while (left > 0) {
        const ssize_t n = ::send(m_fd, p, left, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            const QString why = QString::fromLocal8Bit(strerror(errno));
            close();
            return Error::make(Error::Code::Io, QStringLiteral("writing to the agent channel: %1").arg(why));
        }
        p += n;
        left -= size_t(n);
    }
    return {};
}

void AgentChannel::wake()
{
    const uint64_t one = 1;
    (void)!::write(m_wakeFd, &one, sizeof one);
}

Result<AgentChannel::Wait> AgentChannel::waitFrame(wire::Frame &out, qint64 deadlineMs,
                                                   const std::function<void()> &tick, int tickMs)
{
    while (true) {
        if (std::optional<wire::Frame> f = m_decoder.next()) {
            out = std::move(*f);
            return Wait::Frame;
        }
        if (m_fd < 0)
            return Error::make(Error::Code::Io, QStringLiteral("the agent channel is closed"));
        const qint64 now = nowMs();
        if (now >= deadlineMs)
            return Wait::Timeout;
        pollfd fds[2] = {{m_fd, POLLIN, 0}, {m_wakeFd, POLLIN, 0}};
        const int rc = ::poll(fds, 2, int(qMin<qint64>(deadlineMs - now, tickMs)));
        if (tick && (rc == 0 || nowMs() - m_lastTick >= tickMs)) {
            m_lastTick = nowMs();
            tick();
        }
        if (rc < 0 && errno != EINTR)
            return Error::make(Error::Code::Io,
                               QStringLiteral("poll: %1").arg(QString::fromLocal8Bit(strerror(errno))));
        if (rc <= 0)
            continue;
        if (fds[1].revents & POLLIN) {
            uint64_t v = 0;
            (void)!::read(m_wakeFd, &v, sizeof v);
            return Wait::Woken;
        }
        if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            char buf[64 * 1024];
            const ssize_t n = ::recv(m_fd, buf, sizeof buf, 0);
            if (n < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            if (n <= 0) {
                close();
                return Error::make(Error::Code::Io, QStringLiteral("the agent channel closed (the guest stopped)"));
            }
            if (!m_decoder.feed(std::string_view(buf, size_t(n)))) {
                const QString why = QString::fromStdString(m_decoder.error());
                close();
                return Error::make(Error::Code::Corrupt,
                                   QStringLiteral("the guest agent sent a %1; channel closed").arg(why));
            }
        }
    }
}

} // namespace airlock
