// Poison header (cmake/forbidden/libvirt/): see libvirt.h next to it.
// The message stays one line, as the compiler prints it.
// clang-format off
#error "airlock layering: this target must not include <libvirt/virterror.h>: only airlock_microvm may (DESIGN.md, Layout)"
