#include "sandbox/guest/agent/Agent.h"

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <vector>

namespace airlock::agent {

using wire::Frame;
using wire::Json;

void Agent::hello(const Frame &f)
{
    utsname u{};
    ::uname(&u);
    Json r;
    r.set("op", "hello")
        .set("id", f.id())
        .set("version", std::int64_t(wire::kProtocolVersion))
        .set("agent", "airlock-agent")
        .set("kernel", std::string(u.release));
    // Ops added since protocol version 1, so a host knows what this agent takes.
    Json::Array ops;
    ops.emplace_back("trust_ca");
    r.set("ops", Json(std::move(ops)));
    // What runs now: a host waiting on a command this agent does not know learns
    // that the command was lost (the agent restarted).
    r.set("running", Json(m_commands.runningIds()));
    m_channel.send(r);
}

void Agent::handle(const Frame &f)
{
    const std::string &op = f.op();
    if (op == "hello") {
        hello(f);
    } else if (op == "exec") {
        m_commands.start(f);
    } else if (op == "cancel") {
        m_commands.cancel(f);
    } else if (op == "read_file") {
        m_files.readFile(f);
    } else if (op == "write_file") {
        m_files.writeFile(f);
    } else if (op == "list") {
        m_files.listDir(f);
    } else if (op == "stat") {
        m_files.statPath(f);
    } else if (op == "remove") {
        m_files.removePath(f);
    } else if (op == "trust_ca") {
        m_trust.install(f);
        m_commands.setExtraEnv(m_trust.env());
    } else {
        m_channel.sendError(f.id(), "unknown op \"" + op + "\"");
    }
}

int Agent::run()
{
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGCHLD);
    ::sigprocmask(SIG_BLOCK, &mask, nullptr);
    m_sigfd = ::signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
    ::signal(SIGPIPE, SIG_IGN);
    m_channel.open();

    while (true) {
        std::vector<pollfd> fds;
        fds.push_back({m_channel.readFd(), POLLIN, 0});
        fds.push_back({m_sigfd, POLLIN, 0});
        const std::int64_t wait = m_commands.addPollFds(fds);
        const int rc = ::poll(fds.data(), fds.size(), int(wait));
        if (rc < 0 && errno != EINTR)
            return 1;

        if (fds[1].revents & POLLIN) {
            signalfd_siginfo info;
            while (::read(m_sigfd, &info, sizeof info) > 0) {
            }
            m_commands.reap();
        }
        m_commands.service(fds, 2);
        m_commands.finishDone();

        if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            const Channel::Read got = m_channel.readAvailable();
            if (got == Channel::Read::Closed) {
                if (m_channel.stdio())
                    break;
                // The host is not connected (or went away): what it started is orphaned.
                m_commands.killAll();
                m_channel.resetDecoder();
                ::usleep(50 * 1000);
                continue;
            }
            if (got == Channel::Read::Broken) {
                std::fprintf(stderr, "airlock-agent: %s; closing the channel\n", m_channel.error().c_str());
                Json e;
                e.set("op", "fatal").set("message", m_channel.error());
                m_channel.send(e);
                m_commands.killAll();
                if (m_channel.stdio())
                    return 2;
                m_channel.close();
                m_channel.open();
                continue;
            }
            while (std::optional<Frame> f = m_channel.next())
                handle(*f);
        }
    }
    m_commands.killAll();
    return 0;
}

} // namespace airlock::agent
