// Link probe: code that calls the microVM sandbox, linked against a library that
// must not reach airlock_microvm (the UI, the agent). It must fail with the
// sandbox's symbol undefined: only app/'s composition root links it.
#include "sandbox/microvm/MicroVmSandbox.h"

int main()
{
    return airlock::MicroVmSandbox::guestPath(QStringLiteral("probe")).ok() ? 0 : 1;
}
