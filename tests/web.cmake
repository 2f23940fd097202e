# Browser tests of the web UI (headless Chromium driven by playwright-core).
# web_perf uses gen_scalars from the build directory, web_scale gen_scalars
# and live_writer.
set(TB_WEB_TEST_ENV
  "TB_SOURCE_DIR=${CMAKE_SOURCE_DIR};TB_BUILD_DIR=${CMAKE_BINARY_DIR};TB_BINARY=$<TARGET_FILE:tboard>")
foreach(name scalars shell perf scale)
  add_test(NAME web_${name} COMMAND node ${CMAKE_SOURCE_DIR}/tests/web/${name}_test.mjs)
  set_tests_properties(web_${name} PROPERTIES ENVIRONMENT "${TB_WEB_TEST_ENV}" TIMEOUT 300 RUN_SERIAL TRUE)
endforeach()
