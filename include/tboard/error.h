/* libtboard error codes.
 *
 * Every libtboard function that can fail returns int: TB_OK (0) or one of
 * the negative codes below. The values are stable and equal to the codes
 * tboard uses internally. C99; usable from C++. */
#ifndef TBOARD_ERROR_H
#define TBOARD_ERROR_H

#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

enum {
	TB_OK = 0,
	TB_ENOMEM = -1, /* allocation failed */
	TB_EIO = -2,	/* a system call failed (see the object's message) */
	TB_EINVAL = -6, /* the caller passed something unusable */
};

/* A short English name for an error code, e.g. "out of memory". Returns a
 * static string, never NULL, also for unknown codes. Thread-safe. */
TB_EXPORT const char *tb_strerror(int code);

#ifdef __cplusplus
}
#endif

#endif
