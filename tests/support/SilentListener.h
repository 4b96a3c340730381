#pragma once

// A server that hangs: a TCP listener on 127.0.0.1 whose connections the kernel
// accepts (the backlog) and nobody ever answers. Closed when it goes. And a flag
// set from another thread a moment later: a Stop that comes while a request waits.

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

namespace airlock::test {

class SilentListener {
public:
    SilentListener()
    {
        m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        if (m_fd < 0 || ::bind(m_fd, reinterpret_cast<sockaddr *>(&a), sizeof a) != 0 || ::listen(m_fd, 4) != 0 ||
            ::getsockname(m_fd, reinterpret_cast<sockaddr *>(&a), &len) != 0)
            return;
        m_port = ntohs(a.sin_port);
    }
    ~SilentListener()
    {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    SilentListener(const SilentListener &) = delete;
    SilentListener &operator=(const SilentListener &) = delete;

    int port() const { return m_port; } // 0: it could not listen

private:
    int m_fd = -1;
    int m_port = 0;
};

// Sets `flag` after `ms` milliseconds, on a thread of its own (join it).
inline std::thread setLater(std::shared_ptr<std::atomic<bool>> flag, int ms = 300)
{
    return std::thread([flag = std::move(flag), ms] {
        std::this_thread::sleep_for(std::chrono::milliseconds(ms));
        flag->store(true);
    });
}

} // namespace airlock::test
