# egress_bench: the egress gate's added latency per small request and its streaming
# download throughput, against direct libcurl to the same local server in the same run;
# and the latency of the same small request as a JavaScript tool's fetch.
find_package(CURL REQUIRED)
add_executable(egress_bench "${CMAKE_CURRENT_LIST_DIR}/egress_bench.cpp")
# The tool-fetch part runs JavaScript through the airlock-jsd helper.
target_link_libraries(egress_bench PRIVATE airlock_egress airlock_isolate airlock_config Qt6::Core CURL::libcurl)
add_dependencies(egress_bench airlock-jsd)
target_compile_definitions(egress_bench PRIVATE AIRLOCK_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
  AIRLOCK_BIN_DIR="${PROJECT_BINARY_DIR}/bin")
# The microVM's egress path without a VM: the guest proxy and the bridge.
if(TARGET airlock-agent AND TARGET airlock_microvm)
  target_link_libraries(egress_bench PRIVATE airlock_microvm)
  add_dependencies(egress_bench airlock-agent)
  target_compile_definitions(egress_bench PRIVATE AIRLOCK_BENCH_GUEST_PROXY)
endif()
