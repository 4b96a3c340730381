// Poison header (cmake/forbidden/v8/): see v8.h next to it.
// The message stays one line, as the compiler prints it.
// clang-format off
#error "airlock layering: this target must not include <libplatform/libplatform.h>: only the isolate helper airlock-jsd (and tst_v8_smoke) may (DESIGN.md, Layout)"
