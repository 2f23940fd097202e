# Browser tests of the web UI (headless Chromium driven by playwright-core).
add_test(NAME web_scalars COMMAND node ${CMAKE_SOURCE_DIR}/tests/web/scalars_test.mjs)
set_tests_properties(web_scalars PROPERTIES
  ENVIRONMENT "TB_SOURCE_DIR=${CMAKE_SOURCE_DIR};TB_BUILD_DIR=${CMAKE_BINARY_DIR};TB_BINARY=$<TARGET_FILE:tboard>"
  TIMEOUT 300)
