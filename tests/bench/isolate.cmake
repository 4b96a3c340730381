# isolate_bench: per-call latency and throughput of JavaScript tools through the
# airlock-jsd helper, against spawning `node` per call (measured in the same run).
add_executable(isolate_bench "${CMAKE_CURRENT_LIST_DIR}/isolate_bench.cpp")
target_link_libraries(isolate_bench PRIVATE airlock_isolate airlock_config Qt6::Core)
add_dependencies(isolate_bench airlock-jsd)
find_program(AIRLOCK_BENCH_NODE node)
target_compile_definitions(isolate_bench PRIVATE
  AIRLOCK_BIN_DIR="${PROJECT_BINARY_DIR}/bin"
  AIRLOCK_NODE="${AIRLOCK_BENCH_NODE}"
  AIRLOCK_PRELUDE_BUNDLE="${PROJECT_BINARY_DIR}/sandbox/isolate/js/prelude.bundle.js")
