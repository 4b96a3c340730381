#pragma once

// The guest end of the forward port (protocol/ForwardWire.h): each stream the host
// opens becomes a connection to the guest's 127.0.0.1:<port> (or [::1]:<port>),
// relayed both ways (wire::StreamRelay); and about once a second it reads
// /proc/net/tcp{,6} and tells the host which ports something listens on, so the
// host can offer a forward. A process of its own (airlock-agent --forward), so a
// large download through a forward never stalls the agent's exec loop.

#include "sandbox/guest/agent/Channel.h"
#include "sandbox/guest/protocol/StreamRelay.h"

#include <string>
#include <vector>

namespace airlock::agent {

class PortRelay {
public:
    PortRelay(std::string port, bool stdio);
    // Returns 1 if poll fails; 0 at the end of --stdio input, 2 on a malformed frame
    // over --stdio.
    int run();

    // The TCP ports in LISTEN state in /proc/net/tcp and tcp6 (text as given),
    // sorted, without duplicates.
    static std::vector<int> listeningPorts(const std::string &tcp, const std::string &tcp6);

private:
    void handleFrame(const wire::Frame &f);
    void open(const wire::Frame &f);
    void reportListening(bool force);

    Channel m_channel;
    wire::StreamRelay m_relay;
    std::vector<int> m_lastPorts;
    bool m_reported = false;
};

} // namespace airlock::agent
