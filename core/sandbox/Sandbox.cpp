#include "core/sandbox/Sandbox.h"

// Out of line so the interface's vtable has one home.
namespace airlock {

Sandbox::~Sandbox() = default;

Result<SandboxCheckpoint> Sandbox::checkpoint(const QString &)
{
    return Error::make(Error::Code::BadInput,
                       QStringLiteral("the %1 sandbox keeps no state of its own to checkpoint").arg(kind()));
}

Status Sandbox::restoreCheckpoint(const QString &)
{
    return Error::make(Error::Code::BadInput,
                       QStringLiteral("the %1 sandbox keeps no state of its own to restore").arg(kind()));
}

Status Sandbox::dropCheckpoint(const QString &)
{
    return Status{};
}

Result<SandboxDryRun> Sandbox::dryRun(const SandboxCall &call, const LogSink &)
{
    return Error::make(
        Error::Code::BadInput,
        QStringLiteral("the %1 sandbox cannot try %2 first: it has no throwaway fork").arg(kind(), call.tool));
}

} // namespace airlock
