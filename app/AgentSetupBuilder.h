#pragma once

// The composition root: the one place that turns what a user chose into an
// AgentSetup, wiring the concrete sandboxes (V8 isolate helper, libvirt microVM),
// the keychain, tool files and policy files. It lives in app/ so that core and ui
// never link a sandbox implementation; the window gets an AgentSetupFactory that
// calls this. Building touches the keychain, tool files and helper processes: call
// it off the UI thread.

#include "core/agent/AgentSetup.h"

namespace airlock {

class AgentSetupBuilder {
public:
    static Result<AgentSetup> build(const AgentChoices &choices);
};

} // namespace airlock
