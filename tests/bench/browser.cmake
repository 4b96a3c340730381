# browser_bench: navigate + viewport screenshot through the browser tools, against
# puppeteer-core (npm, tests/bench/browser_bench_js) driving the same Chromium
# through the same egress gate, in the same run; start time and browser RSS.
add_executable(browser_bench "${CMAKE_CURRENT_LIST_DIR}/browser_bench.cpp")
target_link_libraries(browser_bench PRIVATE airlock_browser airlock_egress airlock_config Qt6::Core)
target_compile_definitions(browser_bench PRIVATE AIRLOCK_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
                                                 AIRLOCK_BINARY_DIR="${PROJECT_BINARY_DIR}")
