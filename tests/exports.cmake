# libtboard.so exports exactly the functions include/tboard/ declares with
# TB_EXPORT: nothing internal (tb_xmalloc, decoders, ...) leaks.
add_test(NAME libtboard_exports
  COMMAND ${CMAKE_COMMAND} -DNM=${CMAKE_NM} -DLIB=$<TARGET_FILE:tboard_shared>
          -DHEADER_DIRS=${CMAKE_SOURCE_DIR}/include/tboard:${CMAKE_BINARY_DIR}/include/tboard
          -P ${CMAKE_SOURCE_DIR}/tests/writer/exports_check.cmake)
