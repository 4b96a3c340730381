# One line per fuzz target; see CMakeLists.txt beside this file.
airlock_fuzzer(NAME guest_frame SOURCES fuzz_guest_frame.cpp LIBS airlock_guest_protocol)
airlock_fuzzer(NAME sse_stream SOURCES fuzz_sse_stream.cpp LIBS airlock_providers)
