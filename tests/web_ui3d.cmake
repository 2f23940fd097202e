# Browser test of the mesh and projector dashboards (three.js views).
add_test(NAME web_ui3d COMMAND node ${CMAKE_SOURCE_DIR}/tests/web/ui3d_test.mjs)
set_tests_properties(web_ui3d PROPERTIES
  ENVIRONMENT "TB_SOURCE_DIR=${CMAKE_SOURCE_DIR};TB_BUILD_DIR=${CMAKE_BINARY_DIR};TB_BINARY=$<TARGET_FILE:tboard>"
  TIMEOUT 300)
