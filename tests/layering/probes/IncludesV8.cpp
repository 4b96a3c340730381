// Compile probe: a target that must not embed V8 includes it. It must fail on the
// poison header of cmake/forbidden/v8, not on anything else.
#include <v8.h>
