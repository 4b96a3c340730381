#include "sandbox/guest/agent/WriteAll.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>

namespace airlock::agent {

bool writeAll(int fd, const char *data, std::size_t size)
{
    while (size > 0) {
        const ssize_t n = ::write(fd, data, size);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN) {
                pollfd p{fd, POLLOUT, 0};
                ::poll(&p, 1, 100);
                continue;
            }
            return false;
        }
        data += n;
        size -= std::size_t(n);
    }
    return true;
}

} // namespace airlock::agent
