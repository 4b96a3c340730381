#pragma once

// The guest's HTTP proxy: listens on 127.0.0.1:3128 (loopback only; commands get
// HTTP_PROXY/HTTPS_PROXY pointing here) and carries each request, or CONNECT
// tunnel, to the host over the egress port (protocol/EgressWire.h), one stream
// per client connection. It never opens a connection out of the guest itself: the
// guest has no network interface; the host's egress gate decides and performs.
// One poll loop; a process of its own (airlock-agent --egress), so a busy download
// never stalls the agent's exec loop. What it holds per client is bounded: the
// head (kMaxProxyHead), and a flow-control window of data each way.

#include "sandbox/guest/agent/Channel.h"
#include "sandbox/guest/agent/ProxyHead.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>

namespace airlock::agent {

class EgressProxy {
public:
    EgressProxy(std::string port, bool stdio, int listenPort);
    ~EgressProxy();
    // Returns 1 if it cannot listen or poll fails; 0 at the end of --stdio input.
    int run();

private:
    struct Client;
    void accept();
    void readClient(Client &c);
    void writeClient(Client &c);
    void handleHead(Client &c);
    void pumpBody(Client &c);
    void handleFrame(const wire::Frame &f);
    void sendData(Client &c, std::string_view bytes);
    void reply(Client &c, int status, const std::string &message);
    void queueChunk(Client &c, std::string_view bytes);
    void grantCredit(Client &c);
    void closeClient(Client &c, bool tellHost);
    void dropAll();

    Channel m_channel;
    int m_listenPort;
    int m_listen = -1;
    std::int64_t m_nextSid = 0;
    std::map<std::int64_t, std::unique_ptr<Client>> m_clients;
};

} // namespace airlock::agent
