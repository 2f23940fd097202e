# Browser tests of the web UI (headless Chromium driven by playwright-core),
# one per tests/web/<name>_test.mjs, named web_<name>. The shell, scalars and
# perf tests measure timings and run alone; web_perf uses gen_scalars from
# the build directory.
set(TB_WEB_TEST_ENV
  "TB_SOURCE_DIR=${CMAKE_SOURCE_DIR};TB_BUILD_DIR=${CMAKE_BINARY_DIR};TB_BINARY=$<TARGET_FILE:tboard>")
file(GLOB TB_WEB_TESTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/web/*_test.mjs)
foreach(src ${TB_WEB_TESTS})
  get_filename_component(file ${src} NAME)
  string(REGEX REPLACE "_test\\.mjs$" "" name ${file})
  add_test(NAME web_${name} COMMAND node ${src})
  set_tests_properties(web_${name} PROPERTIES ENVIRONMENT "${TB_WEB_TEST_ENV}" TIMEOUT 300)
  if(name MATCHES "^(scalars|shell|perf)$")
    set_tests_properties(web_${name} PROPERTIES RUN_SERIAL TRUE)
  endif()
endforeach()
