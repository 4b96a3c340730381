// libFuzzer target for the guest frame decoder and the JSON header parser it uses
// (see tests/fuzz/CMakeLists.txt for how fuzz targets are built and run).
// The input is split at arbitrary points to exercise partial frames too.

#include "sandbox/guest/protocol/Frame.h"
#include "sandbox/guest/protocol/Utf8.h"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    using namespace airlock::wire;
    const std::string_view bytes(reinterpret_cast<const char *>(data), size);
    FrameDecoder whole;
    whole.feed(bytes);
    while (std::optional<Frame> f = whole.next()) {
        // Every decoded frame must re-encode and decode to itself.
        const std::optional<std::string> again = encodeFrame(f->header, f->payload);
        if (!again)
            __builtin_trap();
        FrameDecoder check;
        if (!check.feed(*again))
            __builtin_trap();
        std::optional<Frame> g = check.next();
        if (!g || !(g->header == f->header) || g->payload != f->payload)
            __builtin_trap();
    }
    FrameDecoder split;
    const std::size_t step = size > 0 ? (data[0] % 7) + 1 : 1;
    for (std::size_t i = 0; i < size && !split.failed(); i += step)
        split.feed(bytes.substr(i, step));
    if (split.failed() != whole.failed())
        __builtin_trap();
    // The JSON parser on its own, too.
    (void)Json::parse(bytes);
    // File names: the escaped form is always UTF-8 (what a listing may carry), leaves
    // UTF-8 alone, and a cut on a character boundary never grows the text.
    const std::string shown = escapeInvalidUtf8(bytes);
    if (!isValidUtf8(shown) || (isValidUtf8(bytes) && shown != bytes))
        __builtin_trap();
    if (!isValidUtf8(bytes) && unescapeBytes(shown) != std::string(bytes) &&
        bytes.find("\\x") == std::string_view::npos)
        __builtin_trap();
    if (completeUtf8Prefix(bytes) > size)
        __builtin_trap();
    return 0;
}
