#pragma once

// The composition root: the one place that turns what a user chose into an
// AgentSetup, wiring the concrete sandboxes (V8 isolate helper, libvirt microVM),
// the keychain, tool files and policy files. It lives in app/ so that core and ui
// never link a sandbox implementation; the window gets an AgentSetupFactory that
// calls this. Building touches the keychain, tool files and helper processes: call
// it off the UI thread.

#include "core/agent/AgentSetup.h"
#include "sandbox/egress/EgressGate.h"
#include "sandbox/egress/InterceptionCa.h"
#include "sandbox/microvm/MicroVm.h"

namespace airlock {

class AgentSetupBuilder {
public:
    static Result<AgentSetup> build(const AgentChoices &choices);
    // The project's "vm" as the microVM takes it: a Debian guest when the project
    // names one or any package, else the busybox guest; memory 1 GiB for Debian.
    static void applyVmChoices(const VmChoices &vm, MicroVmOptions &options);
    // The project's "vm": {"forward": […]} (DIR/airlock.json; none without one): the
    // guest ports a session's VM forwards to the host's loopback from its boot on.
    static Result<QList<PortForward>> projectForwards(const QString &projectDir);
    // Where a session's Debian VM keeps its disk: SessionStateDir's vm/ (deleted
    // with the session).
    static QString sessionDiskPath(const QString &sessionId);
    // What a VM's egress needs: the gate, and the interception CA whose leaves the
    // guest's HTTPS to credentialed origins is terminated with (key in memory only).
    struct VmEgress {
        std::shared_ptr<const EgressGate> gate;
        std::shared_ptr<const InterceptionCa> ca;
    };
    // The project's egress for a run that is no session (`airlock vm exec`): the
    // same rules, secrets, checks and CA as a session's; records go to `audit`.
    static Result<VmEgress> vmEgress(const AgentChoices &choices, const QString &id, EgressAuditSink audit);
};

} // namespace airlock
