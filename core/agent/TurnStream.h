#pragma once

// One streamed model turn as the agent loop sees it: started with the provider and
// the request, items arrive as itemReceived on the owner's thread, in order, ending
// with exactly one terminal item (Stop or Error; a cancel ends with an Error of
// kind Cancelled). Handed in through a factory so a test can run the loop with a
// scripted stream; HttpTurnStream (today's ModelStream) is the default.

#include "core/providers/ChatRequest.h"
#include "core/providers/ProviderConfig.h"
#include "core/providers/StreamItem.h"
#include "core/util/Result.h"

#include <QObject>

#include <functional>
#include <memory>

namespace airlock {

class TurnStream : public QObject {
    Q_OBJECT
public:
    using QObject::QObject;

    // Fails without starting when the request cannot be built.
    virtual Status start(const ProviderConfig &config, const ChatRequest &request) = 0;
    // Thread-safe.
    virtual void cancel() = 0;

Q_SIGNALS:
    void itemReceived(const airlock::StreamItem &item);
};

// Makes the stream of each new turn.
using TurnStreamFactory = std::function<std::unique_ptr<TurnStream>()>;

} // namespace airlock
