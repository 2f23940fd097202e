# Object storage tests (node): a real S3-compatible server (s3rver) on
# loopback; s3_api runs tests/api/api_test on s3:// uploads of the corpora,
# s3_faults drives throttling, dropped connections, growing and replaced
# objects and a wrong key through a fault-injecting proxy; s3_profile
# compares every Profile answer from s3:// with the local folder's;
# gs_oauth reads gs:// with a service account key (a loopback token endpoint).
foreach(name s3_api s3_faults s3_profile gs_oauth)
  add_test(NAME ${name} COMMAND node ${CMAKE_SOURCE_DIR}/tests/fs/${name}_test.mjs)
  set_tests_properties(${name} PROPERTIES
    ENVIRONMENT "TB_SOURCE_DIR=${CMAKE_SOURCE_DIR};TB_BUILD_DIR=${CMAKE_BINARY_DIR};TB_BINARY=$<TARGET_FILE:tboard>"
    TIMEOUT 600)
endforeach()
