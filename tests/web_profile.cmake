# Browser test of the Profile dashboard (headless Chromium driven by
# playwright-core).
add_test(NAME web_profile COMMAND node ${CMAKE_SOURCE_DIR}/tests/web/profile_test.mjs)
set_tests_properties(web_profile PROPERTIES
  ENVIRONMENT "TB_SOURCE_DIR=${CMAKE_SOURCE_DIR};TB_BUILD_DIR=${CMAKE_BINARY_DIR};TB_BINARY=$<TARGET_FILE:tboard>"
  TIMEOUT 300)
