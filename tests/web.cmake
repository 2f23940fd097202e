# Browser tests of the web UI (headless Chromium driven by playwright-core),
# one per tests/web/<name>_test.mjs, named web_<name>. The shell, scalars and
# perf tests measure timings and run alone; web_perf uses gen_scalars from
# the build directory, web_scale gen_scalars and live_writer; web_ui runs on
# a log directory gen_ui writes (log-axis
# ranges, steps near 2^62, the smaller dashboards).
# web_compare runs on a sweep that gen_sweep (bench/) writes, web_yrange on
# its Keras-style sweep (keras=1).
add_executable(gen_ui tests/web/gen_ui.c)
target_link_libraries(gen_ui tboard_static)
set(TB_WEB_TEST_ENV
  "TB_SOURCE_DIR=${CMAKE_SOURCE_DIR};TB_BUILD_DIR=${CMAKE_BINARY_DIR};TB_BINARY=$<TARGET_FILE:tboard>;TB_GEN_UI=$<TARGET_FILE:gen_ui>")
file(GLOB TB_WEB_TESTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/web/*_test.mjs)
foreach(src ${TB_WEB_TESTS})
  get_filename_component(file ${src} NAME)
  string(REGEX REPLACE "_test\\.mjs$" "" name ${file})
  add_test(NAME web_${name} COMMAND node ${src})
  set_tests_properties(web_${name} PROPERTIES ENVIRONMENT "${TB_WEB_TEST_ENV}" TIMEOUT 300)
  if(name MATCHES "^(scalars|shell|perf|scale)$")
    set_tests_properties(web_${name} PROPERTIES RUN_SERIAL TRUE)
  endif()
endforeach()
# The projector at 50,000 points: minutes of layout work under load.
set_tests_properties(web_projector_scale PROPERTIES TIMEOUT 900 RUN_SERIAL TRUE)
