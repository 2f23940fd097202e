# Browser test of the histograms, distributions, images, audio and text
# dashboards (headless Chromium driven by playwright-core).
add_test(NAME web_dashboards COMMAND node ${CMAKE_SOURCE_DIR}/tests/web/dashboards_test.mjs)
set_tests_properties(web_dashboards PROPERTIES
  ENVIRONMENT "TB_SOURCE_DIR=${CMAKE_SOURCE_DIR};TB_BUILD_DIR=${CMAKE_BINARY_DIR};TB_BINARY=$<TARGET_FILE:tboard>"
  TIMEOUT 300)
