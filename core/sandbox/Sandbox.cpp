#include "core/sandbox/Sandbox.h"

// Out of line so the interface's vtable has one home.
namespace airlock {
Sandbox::~Sandbox() = default;
} // namespace airlock
