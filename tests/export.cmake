# tboard export round trip (tests/export/export_test.mjs): export in every
# format, read back with independent readers (hyparquet, parquet-wasm; CSV
# and JSON Lines parsed in the test) and compare with every point the
# server holds when it keeps every point. Writes its log directories with
# gen_scalars.
add_test(NAME export_roundtrip COMMAND node ${CMAKE_SOURCE_DIR}/tests/export/export_test.mjs)
set_tests_properties(export_roundtrip PROPERTIES
  ENVIRONMENT "TB_SOURCE_DIR=${CMAKE_SOURCE_DIR};TB_BUILD_DIR=${CMAKE_BINARY_DIR};TB_BINARY=$<TARGET_FILE:tboard>;TB_GEN_SCALARS=$<TARGET_FILE:gen_scalars>"
  TIMEOUT 600)
