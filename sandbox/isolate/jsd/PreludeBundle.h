#pragma once

// The bundled tool prelude (resources/js: zod + defineTool, built by esbuild at
// build time) compiled into the helper, so nothing is read from disk at run time.

#include <cstddef>

namespace airlock::jsd {

extern const char kPreludeSource[];
extern const std::size_t kPreludeSize;

} // namespace airlock::jsd
