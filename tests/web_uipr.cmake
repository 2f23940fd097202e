# Browser test of the PR curves, custom scalars and hparams dashboards
# (headless Chromium driven by playwright-core).
add_test(NAME web_uipr COMMAND node ${CMAKE_SOURCE_DIR}/tests/web/uipr_test.mjs)
set_tests_properties(web_uipr PROPERTIES
  ENVIRONMENT "TB_SOURCE_DIR=${CMAKE_SOURCE_DIR};TB_BUILD_DIR=${CMAKE_BINARY_DIR};TB_BINARY=$<TARGET_FILE:tboard>"
  TIMEOUT 300)
