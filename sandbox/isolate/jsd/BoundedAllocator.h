#pragma once

// ArrayBuffer memory lives outside the V8 heap, so the heap limit alone would let
// `new ArrayBuffer(4e9)` through. This allocator gives an isolate a budget for
// buffers (the same size as its heap limit); past it, allocation fails and
// JavaScript sees a RangeError.

#include <v8.h>

#include <cstddef>
#include <memory>

namespace airlock::jsd {

std::unique_ptr<v8::ArrayBuffer::Allocator> newBoundedAllocator(std::size_t limit);

} // namespace airlock::jsd
