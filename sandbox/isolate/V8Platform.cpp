#include "sandbox/isolate/V8Platform.h"

#include <libplatform/libplatform.h>
#include <v8.h>

#include <cstring>
#include <memory>
#include <mutex>

namespace airlock {

v8::Platform &V8Platform::ensureInitialized(const char *flags)
{
    // Intentionally never torn down: V8 cannot be re-initialised in a process, and
    // disposing it at exit races with threads that may still hold isolates.
    static std::unique_ptr<v8::Platform> platform;
    static std::once_flag once;
    std::call_once(once, [flags] {
        if (flags && *flags)
            v8::V8::SetFlagsFromString(flags, std::strlen(flags));
        platform = v8::platform::NewDefaultPlatform();
        v8::V8::InitializePlatform(platform.get());
        v8::V8::Initialize();
    });
    return *platform;
}

const char *V8Platform::v8Version()
{
    return v8::V8::GetVersion();
}

} // namespace airlock
