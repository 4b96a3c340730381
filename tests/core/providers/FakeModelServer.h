#pragma once

// A small threaded HTTP/1.1 server on 127.0.0.1 that answers like the model APIs:
// each connection takes one POST and gets the next scripted response, written as
// HTTP chunks exactly where the script splits it (mid-line, mid-JSON, mid-UTF-8),
// with pauses, a stall that never ends, or an abrupt reset (RST) mid-stream.
// Plain POSIX sockets on a thread of its own, so the client under test can block.

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QPair>

#include <atomic>
#include <chrono>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace airlock::test {

struct FakeResponse {
    enum class End {
        Complete, // terminating chunk, then close
        Drop,     // RST after the chunks: the connection breaks mid-stream
        Stall,    // keep the connection open and silent until the client leaves
    };
    int status = 200;
    QList<QPair<QByteArray, QByteArray>> headers; // besides the framing headers
    QList<QByteArray> chunks;                     // one HTTP chunk (and one send) each
    int pauseMs = 0;                              // between chunks
    End end = End::Complete;
    bool chunked = true; // false: Content-Length framing (as for error bodies)

    // The SSE body of a 200 answer, cut into pieces of the sizes given (cycled).
    static FakeResponse sse(const QByteArray &body, const std::vector<int> &pieceSizes = {7, 1, 13, 2, 31, 3});
    // An error answer with a JSON body, e.g. 429 rate_limit_error.
    static FakeResponse error(int status, const QByteArray &json, QList<QPair<QByteArray, QByteArray>> headers = {});
};

struct ReceivedRequest {
    QByteArray method;
    QByteArray path;
    QHash<QByteArray, QByteArray> headers; // lower-case names
    QByteArray body;
    std::chrono::steady_clock::time_point at;
};

class FakeModelServer {
public:
    FakeModelServer();
    ~FakeModelServer();
    FakeModelServer(const FakeModelServer &) = delete;
    FakeModelServer &operator=(const FakeModelServer &) = delete;

    quint16 port() const { return m_port; }
    QString baseUrl() const;
    void enqueue(FakeResponse response);
    std::vector<ReceivedRequest> requests() const;
    // True once a stalled connection noticed the client went away.
    bool clientLeftStall() const { return m_clientLeftStall; }

private:
    void acceptLoop();
    void serve(int fd);
    bool waitWhileStalled(int fd);

    int m_listenFd = -1;
    quint16 m_port = 0;
    std::atomic<bool> m_stop{false};
    std::atomic<bool> m_clientLeftStall{false};
    mutable std::mutex m_mutex;
    std::deque<FakeResponse> m_queue;
    std::vector<ReceivedRequest> m_requests;
    std::thread m_thread;
};

} // namespace airlock::test
