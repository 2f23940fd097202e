# Browser test of the chart axes (log scale), the tab bar, the log-dir
# status and the smaller dashboards' UI on a log directory gen_ui writes.
add_executable(gen_ui tests/web/gen_ui.c)
target_link_libraries(gen_ui tboard_static)
add_test(NAME web_ui COMMAND node ${CMAKE_SOURCE_DIR}/tests/web/ui_test.mjs)
set_tests_properties(web_ui PROPERTIES
  ENVIRONMENT "TB_SOURCE_DIR=${CMAKE_SOURCE_DIR};TB_BUILD_DIR=${CMAKE_BINARY_DIR};TB_BINARY=$<TARGET_FILE:tboard>;TB_GEN_UI=$<TARGET_FILE:gen_ui>"
  TIMEOUT 300)
