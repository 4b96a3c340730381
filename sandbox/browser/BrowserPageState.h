#pragma once

// What BrowserSandbox learns about its page from DevTools events (on the
// connection's reader thread) and its tools read (on the calling thread): loads,
// the main frame's loading state, requests in flight, console messages, network
// requests, dialogs and downloads. Guarded by `mutex`; `changed` is notified on
// every update.

#include <QJsonArray>
#include <QJsonObject>
#include <QString>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>

namespace airlock {

struct BrowserPageState {
    std::mutex mutex;
    std::condition_variable changed;

    QString mainFrameId;
    QString url;      // the main frame's, as last navigated (in-document navigations too)
    qint64 loads = 0; // Page.loadEventFired so far
    bool mainFrameLoading = false;
    qint64 navigations = 0;     // main-frame navigations requested or started so far
    std::set<QString> inflight; // request ids without an answer yet
    std::chrono::steady_clock::time_point lastNetworkChange = std::chrono::steady_clock::now();

    QJsonArray console; // {level, time, source, text}
    qsizetype consoleRead = 0;
    qint64 consoleDropped = 0;

    QJsonArray requests;                // {id, method, url, type, status, ...} in order
    std::map<QString, qsizetype> index; // request id -> position in `requests`
    qint64 requestsDropped = 0;
    qsizetype requestsRead = 0;

    // Dialogs: how the current call wants them handled, and what it met.
    bool acceptDialogs = false;
    QString promptText;
    QJsonArray dialogs;
    QJsonArray downloads; // {guid, url, file, state, bytes}
};

} // namespace airlock
