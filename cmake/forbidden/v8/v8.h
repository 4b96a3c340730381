// Poison header (cmake/forbidden/v8/): first on the include path of every target
// that must not embed V8, so that including the real <v8.h> there does not compile.
// The message stays one line, as the compiler prints it.
// clang-format off
#error "airlock layering: this target must not include <v8.h>: only the isolate helper airlock-jsd (and tst_v8_smoke) may (DESIGN.md, Layout)"
