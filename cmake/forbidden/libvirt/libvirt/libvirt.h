// Poison header (cmake/forbidden/libvirt/): first on the include path of every target
// but airlock_microvm, so that including the real <libvirt/libvirt.h> (in
// /usr/include, reachable by everything) elsewhere does not compile.
// The message stays one line, as the compiler prints it.
// clang-format off
#error "airlock layering: this target must not include <libvirt/libvirt.h>: only airlock_microvm may (DESIGN.md, Layout)"
