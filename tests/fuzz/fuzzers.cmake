# One line per fuzz target; see CMakeLists.txt beside this file.
airlock_fuzzer(NAME guest_frame SOURCES fuzz_guest_frame.cpp LIBS airlock_guest_protocol)
airlock_fuzzer(NAME event_fold SOURCES fuzz_event_fold.cpp LIBS airlock_core)
airlock_fuzzer(NAME json_schema SOURCES fuzz_json_schema.cpp LIBS airlock_tools)
airlock_fuzzer(NAME sse_stream SOURCES fuzz_sse_stream.cpp LIBS airlock_providers)
airlock_fuzzer(NAME policy SOURCES fuzz_policy.cpp LIBS airlock_policy)
airlock_fuzzer(NAME project_file SOURCES fuzz_project_file.cpp LIBS airlock_project airlock_policy)
