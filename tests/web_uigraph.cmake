# Browser test of the graphs dashboard (headless Chromium driven by
# playwright-core) on the torch and tb-native corpora.
add_test(NAME web_uigraph COMMAND node ${CMAKE_SOURCE_DIR}/tests/web/uigraph_test.mjs)
set_tests_properties(web_uigraph PROPERTIES
  ENVIRONMENT "TB_SOURCE_DIR=${CMAKE_SOURCE_DIR};TB_BUILD_DIR=${CMAKE_BINARY_DIR};TB_BINARY=$<TARGET_FILE:tboard>"
  TIMEOUT 300)
