# egress_bench: the egress gate's added latency per small request and its streaming
# download throughput, against direct libcurl to the same local server in the same run.
find_package(CURL REQUIRED)
add_executable(egress_bench "${CMAKE_CURRENT_LIST_DIR}/egress_bench.cpp")
target_link_libraries(egress_bench PRIVATE airlock_egress airlock_config Qt6::Core CURL::libcurl)
target_compile_definitions(egress_bench PRIVATE AIRLOCK_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
