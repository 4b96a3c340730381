#pragma once

// Process-wide V8 start-up. V8 allows exactly one platform per process and must be
// initialised before any isolate exists; this does it once, on first use, and is
// safe to call from any thread.

namespace v8 {
class Platform;
}

namespace airlock {

class V8Platform {
public:
    // Initialises V8 with the given flags (e.g. "--stack-size=900") on the first
    // call; later calls return the same platform and ignore their flags.
    static v8::Platform &ensureInitialized(const char *flags = nullptr);
    static const char *v8Version();
};

} // namespace airlock
