// airlock-agent: the guest side of the microVM sandbox. A static binary (no Qt, no
// shared libraries) started by the initramfs's /init. It speaks the frame protocol
// of protocol/Frame.h over the virtio-serial port named on its command line (or over
// stdin/stdout with --stdio, for tests on the host) and serves: hello, exec (argv,
// cwd, env, stdin, timeout; stdout/stderr streamed as they come, then the exit
// status), cancel (kills the command's whole process group), file
// read/write/list/stat/remove and trust_ca (the session CA). One poll loop; any
// number of commands at once. --trust-root DIR puts trust_ca's files under DIR
// (tests on the host).
//
// The roles: Agent (the loop and dispatch), Channel (port and frames),
// CommandRunner (exec, streamed output, timeouts), FileOps (file requests),
// TrustStore (the session CA), GuestPaths (how paths and errors read in replies).
//
// With --egress it is the guest's HTTP proxy instead (EgressProxy, a process of its
// own, started beside the agent by /init): 127.0.0.1:3128 → the egress port.
// With --forward it is the relay of forwarded ports (PortRelay, a third process):
// streams the host opens on the forward port → the guest's 127.0.0.1:<port>.

#include "sandbox/guest/agent/Agent.h"
#include "sandbox/guest/agent/EgressProxy.h"
#include "sandbox/guest/agent/PortRelay.h"
#include "sandbox/guest/protocol/EgressWire.h"
#include "sandbox/guest/protocol/ForwardWire.h"

#include <cstdio>
#include <cstdlib>
#include <string>

int main(int argc, char **argv)
{
    std::string port;
    std::string trustRoot;
    bool stdio = false;
    bool egress = false;
    bool forward = false;
    int listen = airlock::wire::kEgressProxyPort;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--stdio")
            stdio = true;
        else if (a == "--egress")
            egress = true;
        else if (a == "--forward")
            forward = true;
        else if (a == "--listen" && i + 1 < argc)
            listen = std::atoi(argv[++i]); // 0: any free port, printed on stderr (tests)
        else if (a == "--port" && i + 1 < argc)
            port = argv[++i];
        else if (a == "--trust-root" && i + 1 < argc)
            trustRoot = argv[++i];
        else if (a == "--version") {
            std::printf("airlock-agent protocol %u\n", airlock::wire::kProtocolVersion);
            return 0;
        } else {
            std::fprintf(stderr, "usage: airlock-agent [--egress [--listen PORT] | --forward] [--port NAME | --stdio] "
                                 "[--trust-root DIR]\n");
            return 2;
        }
    }
    if (forward)
        return airlock::agent::PortRelay(port.empty() ? airlock::wire::kForwardPortName : port, stdio).run();
    if (egress)
        return airlock::agent::EgressProxy(port.empty() ? airlock::wire::kEgressPortName : port, stdio, listen).run();
    return airlock::agent::Agent(port.empty() ? "org.airlock.agent.0" : port, stdio, trustRoot).run();
}
