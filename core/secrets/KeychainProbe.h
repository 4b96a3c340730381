#pragma once

// Asks, before any QtKeychain job, whether a keychain can answer at all, and answer
// without a password prompt that nobody could see: a D-Bus session bus, a Secret
// Service on it, and (without a display) a default collection that exists and is
// unlocked. Where one is missing libsecret would wait on D-Bus timeouts or start a
// GUI prompter (gcr-prompter) that cannot open a display; this says so at once.
// Every call here is bounded by `timeoutMs`. Other systems (macOS) always pass.

#include "core/util/Result.h"

namespace airlock {

class KeychainProbe {
public:
    // How long one keychain exchange may take: AIRLOCK_KEYCHAIN_TIMEOUT_MS when set,
    // else longer with a display (a person may be typing into an unlock prompt).
    static int timeoutMs();
    // True when a GUI prompt could be shown (DISPLAY or WAYLAND_DISPLAY is set).
    static bool hasDisplay();
    // Ok when a keychain job can be expected to finish without an unseen prompt.
    static Status check(int timeoutMs);
};

} // namespace airlock
