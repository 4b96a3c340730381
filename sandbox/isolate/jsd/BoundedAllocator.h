#pragma once

// ArrayBuffer memory lives outside the V8 heap, so the heap limit alone would let
// `new ArrayBuffer(4e9)` through. This allocator gives an isolate a budget for
// buffers (the same size as its heap limit); past it, allocation fails (JavaScript
// would see a RangeError) and `onRefused(data)` is called first, so the owner can
// end the call with the memory error instead.

#include <v8.h>

#include <cstddef>
#include <memory>

namespace airlock::jsd {

using RefusedFn = void (*)(void *data) noexcept;
std::unique_ptr<v8::ArrayBuffer::Allocator> newBoundedAllocator(std::size_t limit, RefusedFn onRefused = nullptr,
                                                                void *data = nullptr);

} // namespace airlock::jsd
