#pragma once

// The browser tools of a session (the project's "browser": true): one headless
// Chromium per session, started on first use, with a fresh profile in the
// session's state folder and every request it makes, HTTP or a CONNECT tunnel,
// through the session's egress gate. Part of the composition root.

#include "core/agent/AgentSetup.h"
#include "sandbox/egress/EgressGate.h"

#include <memory>

namespace airlock {

class BrowserTools {
public:
    // Appends the browser_* tools to `setup`. `workspaceDir` receives screenshots/
    // and downloads/ and is where uploads come from.
    static void add(AgentSetup &setup, const AgentChoices &choices, const std::shared_ptr<const EgressGate> &gate,
                    const QString &workspaceDir);
};

} // namespace airlock
