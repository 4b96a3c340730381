#pragma once

// The agent's commands: exec (argv, cwd, env, stdin, timeout) in a process group
// of its own, stdout/stderr streamed to the host in chunks as they come, then the
// exit status; cancel and timeouts kill the whole group. Driven by the agent's one
// poll loop: any number of commands at once.

#include "sandbox/guest/agent/Channel.h"
#include "sandbox/guest/protocol/Frame.h"

#include <poll.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace airlock::agent {

struct Command {
    std::int64_t id = 0;
    pid_t pid = -1;
    int out = -1;
    int err = -1;
    int in = -1;
    std::string stdinData;
    std::size_t stdinPos = 0;
    std::int64_t started = 0;
    std::int64_t deadline = 0; // 0: none
    bool exited = false;
    int status = 0;
    bool timedOut = false;
    bool cancelled = false;
};

class CommandRunner {
public:
    explicit CommandRunner(Channel &channel) : m_channel(channel) {}

    void start(const wire::Frame &f);
    // Variables every command started from now on gets (the session CA's), before
    // the caller's own.
    void setExtraEnv(std::map<std::string, std::string> env) { m_extraEnv = std::move(env); }
    void cancel(const wire::Frame &f);
    // The ids of the commands still running (the hello reply lists them).
    wire::Json::Array runningIds() const;

    // Appends the pipes to watch to `fds`; returns how long poll may wait for the
    // nearest deadline (-1: no deadline).
    std::int64_t addPollFds(std::vector<pollfd> &fds);
    // Pumps output and stdin for the fds from index `first` on (as added above).
    void service(const std::vector<pollfd> &fds, std::size_t first);
    // Collects exit statuses (after SIGCHLD).
    void reap();
    // Kills what is past its deadline; reports and forgets what has exited.
    void finishDone();
    // Kills every command and its group (the host is gone).
    void killAll();

private:
    void pumpOutput(Command &c, int &fd, const char *stream);
    void finishIfDone(Command &c);

    Channel &m_channel;
    std::map<std::int64_t, Command> m_commands;
    std::map<std::string, std::string> m_extraEnv;
    std::vector<std::pair<std::int64_t, int>> m_owners; // command id, which fd (0 out, 1 err, 2 in)
};

} // namespace airlock::agent
