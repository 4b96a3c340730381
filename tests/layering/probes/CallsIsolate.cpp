// Link probe: code that starts the V8 isolate sandbox, linked against the UI. It
// must fail with the sandbox's symbol undefined: only app/'s composition root links it.
#include "sandbox/isolate/IsolateSandbox.h"

int main()
{
    return airlock::IsolateSandbox().kind().isEmpty() ? 1 : 0;
}
