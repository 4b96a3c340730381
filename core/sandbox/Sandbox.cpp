#include "core/sandbox/Sandbox.h"

// Out of line so the interface's vtable has one home.
namespace airlock {

Sandbox::~Sandbox() = default;

Status Sandbox::checkpoint(const QString &)
{
    return {}; // nothing of its own to record
}

Status Sandbox::revertTo(const QString &callId)
{
    return Error::make(Error::Code::NotFound,
                       QStringLiteral("the %1 sandbox keeps no checkpoint of its own (call %2)").arg(kind(), callId));
}

Status Sandbox::dropCheckpoint(const QString &)
{
    return {};
}

Result<SandboxOutcome> Sandbox::runInFork(const SandboxCall &call, const QString &, const LogSink &)
{
    return Error::make(Error::Code::BadInput,
                       QStringLiteral("the %1 sandbox cannot try a call first (no throwaway fork of it can be made); "
                                      "%2 can only be approved or denied")
                           .arg(kind(), call.tool));
}

} // namespace airlock
