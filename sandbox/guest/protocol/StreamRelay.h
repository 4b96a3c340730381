#pragma once

// The socket half of the forward channel (ForwardWire.h), the same on both ends:
// a set of non-blocking TCP sockets, each the end of one stream, relayed to and
// from the frames of the channel with credit flow control. The host's
// PortForwarder and the guest's PortRelay each own one and drive it from their
// poll loop; only opening a stream differs (the host accepts, the guest connects).
//
// Per stream it holds at most a window of the peer's bytes (those it has not yet
// written to its socket) and reads its socket only while it has credit, so a slow
// reader on either side stalls just its own stream.

#include "sandbox/guest/protocol/Frame.h"

#include <poll.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace airlock::wire {

class StreamRelay {
public:
    // Sends one frame on the channel (never blocks for long: the caller's concern).
    using Send = std::function<void(const Json &header, std::string_view payload)>;
    // A stream ended; `why` is empty for an orderly end (both sides sent end).
    using Ended = std::function<void(std::int64_t sid, const std::string &why)>;

    explicit StreamRelay(Send send);
    ~StreamRelay();
    StreamRelay(const StreamRelay &) = delete;
    StreamRelay &operator=(const StreamRelay &) = delete;

    void setEndedSink(Ended ended) { m_ended = std::move(ended); }

    // Takes a connected non-blocking socket as the end of stream `sid`.
    void add(std::int64_t sid, int fd);
    bool has(std::int64_t sid) const;
    std::size_t size() const; // streams not yet over

    // data / end / credit / close for a known stream; false for any other frame
    // (frames of unknown streams are taken and ignored: true).
    bool handle(const Frame &f);
    // Drops a stream without telling the peer (it said the stream is over).
    void drop(std::int64_t sid, const std::string &why);
    // Drops every stream; `tellPeer` sends close for each.
    void dropAll(bool tellPeer, const std::string &why);

    // Appends the sockets that want something now; service() takes the same vector
    // and the index of the first of them.
    void addPollFds(std::vector<pollfd> &fds);
    void service(const std::vector<pollfd> &fds, std::size_t first);

    // The most peer data ever held for one stream (bounded by the window).
    std::size_t peakHeld() const { return m_peakHeld; }

private:
    struct Stream;
    void readSocket(Stream &s);
    void writeSocket(Stream &s);
    void finishIfDone(Stream &s);
    void fail(Stream &s, const std::string &why);
    void sweep();

    Send m_send;
    Ended m_ended;
    std::map<std::int64_t, std::unique_ptr<Stream>> m_streams;
    std::vector<Stream *> m_polled; // the streams of the last addPollFds, in order
    std::size_t m_peakHeld = 0;
};

} // namespace airlock::wire
