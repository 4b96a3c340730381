#include "sandbox/guest/agent/Channel.h"

#include "sandbox/guest/agent/WriteAll.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

namespace airlock::agent {

using wire::Json;

namespace {

// The port's /dev node: udev is absent, so find the port by its name in sysfs.
std::string findPort(const std::string &name)
{
    DIR *d = opendir("/sys/class/virtio-ports");
    if (!d)
        return {};
    std::string found;
    while (dirent *e = readdir(d)) {
        if (e->d_name[0] == '.')
            continue;
        const std::string path = std::string("/sys/class/virtio-ports/") + e->d_name + "/name";
        FILE *f = std::fopen(path.c_str(), "r");
        if (!f)
            continue;
        char buf[256] = {};
        const bool ok = std::fgets(buf, sizeof buf, f) != nullptr;
        std::fclose(f);
        std::string n = ok ? buf : "";
        while (!n.empty() && (n.back() == '\n' || n.back() == '\r'))
            n.pop_back();
        if (n == name) {
            found = std::string("/dev/") + e->d_name;
            break;
        }
    }
    closedir(d);
    return found;
}

} // namespace

bool Channel::open()
{
    if (m_stdio) {
        m_in = 0;
        m_out = 1;
        return true;
    }
    for (int attempt = 0;; ++attempt) {
        const std::string dev = findPort(m_portName);
        if (!dev.empty()) {
            const int fd = ::open(dev.c_str(), O_RDWR | O_CLOEXEC);
            if (fd >= 0) {
                m_in = m_out = fd;
                return true;
            }
        }
        if (attempt % 50 == 0)
            std::fprintf(stderr, "airlock-agent: waiting for port %s\n", m_portName.c_str());
        ::usleep(100 * 1000);
    }
}

void Channel::close()
{
    if (!m_stdio && m_in >= 0)
        ::close(m_in);
    m_in = m_out = -1;
    m_decoder.reset();
}

void Channel::send(const Json &header, std::string_view payload)
{
    std::optional<std::string> bytes = wire::encodeFrame(header, payload);
    if (!bytes) {
        Json e;
        e.set("op", "error").set("id", header["id"]).set("message", "reply too large for one frame");
        bytes = wire::encodeFrame(e);
    }
    if (m_out >= 0 && bytes)
        writeAll(m_out, bytes->data(), bytes->size());
}

void Channel::sendError(std::int64_t id, const std::string &message)
{
    Json e;
    e.set("op", "error").set("id", id).set("message", message);
    send(e);
}

Channel::Read Channel::readAvailable()
{
    char buf[64 * 1024];
    const ssize_t n = ::read(m_in, buf, sizeof buf);
    if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
        return Read::Closed;
    if (n > 0 && !m_decoder.feed(std::string_view(buf, std::size_t(n))))
        return Read::Broken;
    return Read::Ok;
}

} // namespace airlock::agent
