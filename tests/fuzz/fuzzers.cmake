# One line per fuzz target; see CMakeLists.txt beside this file.
airlock_fuzzer(NAME guest_frame SOURCES fuzz_guest_frame.cpp LIBS airlock_guest_protocol)
airlock_fuzzer(NAME policy SOURCES fuzz_policy.cpp LIBS airlock_policy)
