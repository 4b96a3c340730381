#pragma once

// The agent's file requests: paged read of regular files only, write (creating the
// folders), paged and sorted listing, stat and remove. Each answers on the channel
// with one reply (or an error reply) for the request's id.

#include "sandbox/guest/agent/Channel.h"
#include "sandbox/guest/protocol/Frame.h"

namespace airlock::agent {

class FileOps {
public:
    explicit FileOps(Channel &channel) : m_channel(channel) {}

    void readFile(const wire::Frame &f);
    void writeFile(const wire::Frame &f);
    void listDir(const wire::Frame &f);
    void statPath(const wire::Frame &f);
    void removePath(const wire::Frame &f);

private:
    Channel &m_channel;
};

} // namespace airlock::agent
