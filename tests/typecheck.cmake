# The web UI's TypeScript type-checks (tsc --noEmit with web/tsconfig.json);
# esbuild bundles without checking types, so this is where they are checked.
add_test(NAME web_typecheck
  COMMAND ${CMAKE_SOURCE_DIR}/web/node_modules/.bin/tsc --noEmit -p ${CMAKE_SOURCE_DIR}/web/tsconfig.json)
set_tests_properties(web_typecheck PROPERTIES TIMEOUT 300)
