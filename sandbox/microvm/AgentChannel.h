#pragma once

// The host end of the virtio-serial channel: a Unix socket QEMU listens on, speaking
// the frame protocol of sandbox/guest/protocol/Frame.h. Blocking, for one worker
// thread; wake() (any thread) interrupts a wait so a cancel can be sent.

#include "core/util/Result.h"
#include "sandbox/guest/protocol/Frame.h"

#include <QString>

#include <atomic>
#include <functional>

namespace airlock {

class AgentChannel {
public:
    AgentChannel();
    ~AgentChannel();
    AgentChannel(const AgentChannel &) = delete;
    AgentChannel &operator=(const AgentChannel &) = delete;

    // Connects to the socket, retrying until it exists or `deadlineMs` (monotonic ms,
    // see nowMs()) passes.
    Status connectTo(const QString &socketPath, qint64 deadlineMs);
    bool isOpen() const { return m_fd >= 0; }
    void close();

    Status send(const wire::Json &header, std::string_view payload = {});

    enum class Wait { Frame, Timeout, Woken };
    // Waits for the next frame until `deadlineMs`, waking every `tickMs` to call
    // `tick` (console tailing). A closed or broken stream is an error, and closes.
    Result<Wait> waitFrame(wire::Frame &out, qint64 deadlineMs, const std::function<void()> &tick = {},
                           int tickMs = 100);
    // Thread-safe: makes the current (or next) waitFrame return Woken.
    void wake();

    static qint64 nowMs();

private:
    int m_fd = -1;
    int m_wakeFd = -1;
    wire::FrameDecoder m_decoder;
    qint64 m_lastTick = 0;
};

} // namespace airlock
