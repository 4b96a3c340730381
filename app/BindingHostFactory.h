#pragma once

// The host side of a session's object bindings for the isolate: a BindingHost that
// turns a tool's env.BUCKET.put/get/head/delete/list into R2Bucket calls and
// env.EMAIL.send into MailSender calls, each made through the session's egress
// gate (which decides, signs or logs in, and records every request). The isolate
// knows only BindingCall.h; this is where it meets sandbox/egress.

#include "core/sandbox/BindingCall.h"

#include <memory>

namespace airlock {

class EgressGate;

class BindingHostFactory {
public:
    // The gate is kept alive by the host it returns.
    static BindingHost make(std::shared_ptr<const EgressGate> gate);
    // One call, for the host above and for tests.
    static Result<BindingReply> perform(const EgressGate &gate, const BindingRequest &request);
};

} // namespace airlock
