# objects_bench: a JavaScript tool's 1 KiB put+get and host_file's 50 MB put through
# the egress gate, against libcurl's own signed requests to the same S3 server.
find_package(CURL REQUIRED)
add_executable(objects_bench "${CMAKE_CURRENT_LIST_DIR}/objects_bench.cpp")
target_link_libraries(objects_bench PRIVATE airlock_app_wiring airlock_egress airlock_isolate airlock_config Qt6::Core
  CURL::libcurl)
add_dependencies(objects_bench airlock-jsd airlock_test_npm)
target_compile_definitions(objects_bench PRIVATE AIRLOCK_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
  AIRLOCK_BIN_DIR="${PROJECT_BINARY_DIR}/bin"
  AIRLOCK_TEST_NODE_MODULES="${PROJECT_BINARY_DIR}/tests/support/npm/node_modules")
