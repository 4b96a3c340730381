#pragma once

// One started isolate helper with one worker, as the benchmarks that time a tool's
// calls use it (AIRLOCK_BIN_DIR: the build's bin folder, set by their .cmake).

#include "sandbox/isolate/IsolateClient.h"

#include <QString>
#include <QtGlobal>

#include <memory>

namespace airlock {

inline std::unique_ptr<IsolateClient> startBenchIsolate(const char *bench)
{
    IsolateClient::Options options;
    options.helperPath = QStringLiteral(AIRLOCK_BIN_DIR "/airlock-jsd");
    options.workers = 1;
    auto client = std::make_unique<IsolateClient>(options);
    if (Status s = client->start(); !s.ok())
        qFatal("%s: %s", bench, qPrintable(s.error().message));
    return client;
}

} // namespace airlock
