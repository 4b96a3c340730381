#pragma once

// The guest agent: one poll loop over the host channel, SIGCHLD and the running
// commands' pipes, dispatching each request frame to its role (CommandRunner for
// exec/cancel, FileOps for files, TrustStore for the session CA). A malformed frame or a host that goes away kills
// what it started and reopens the channel.

#include "sandbox/guest/agent/Channel.h"
#include "sandbox/guest/agent/CommandRunner.h"
#include "sandbox/guest/agent/FileOps.h"
#include "sandbox/guest/agent/TrustStore.h"

#include <string>

namespace airlock::agent {

class Agent {
public:
    // `trustRoot`: TrustStore's root (empty in the guest).
    Agent(std::string port, bool stdio, std::string trustRoot = {})
        : m_channel(std::move(port), stdio), m_trust(m_channel, std::move(trustRoot))
    {
    }
    // Returns the process exit code: 0 at the end of --stdio input, 2 on a
    // malformed frame over --stdio, 1 if poll fails.
    int run();

private:
    void handle(const wire::Frame &f);
    void hello(const wire::Frame &f);

    Channel m_channel;
    CommandRunner m_commands{m_channel};
    FileOps m_files{m_channel};
    TrustStore m_trust;
    int m_sigfd = -1;
};

} // namespace airlock::agent
