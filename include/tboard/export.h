/* TB_EXPORT marks the functions libtboard exports. The library is built with
 * -fvisibility=hidden, so only these are in its dynamic symbol table;
 * tests/exports.cmake checks that nothing else is. C99; usable from C++. */
#ifndef TBOARD_EXPORT_H
#define TBOARD_EXPORT_H

#if defined(__GNUC__) || defined(__clang__)
#define TB_EXPORT __attribute__((visibility("default")))
#else
#define TB_EXPORT
#endif

#endif
