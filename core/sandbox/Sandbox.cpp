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

} // namespace airlock
