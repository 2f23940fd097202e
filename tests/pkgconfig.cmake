# Install libtboard into a prefix inside the build directory, then build
# examples/pkgconfig/hello.c against it with `pkg-config --cflags --libs
# tboard` (shared) and `pkg-config --static` (static), run both, and check
# they wrote an event file. scripts/pkgconfig_check.cmake does the steps.
add_test(NAME pkgconfig_install
  COMMAND ${CMAKE_COMMAND}
    -DBUILD_DIR=${CMAKE_BINARY_DIR}
    -DSOURCE_DIR=${CMAKE_SOURCE_DIR}
    -DCC=${CMAKE_C_COMPILER}
    -DSANITIZE=${TB_SANITIZE}
    -P ${CMAKE_SOURCE_DIR}/scripts/pkgconfig_check.cmake)
set_tests_properties(pkgconfig_install PROPERTIES TIMEOUT 300)
