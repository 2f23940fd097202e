/* Error codes shared by every module.
 *
 * A function that can fail returns int: 0 on success or one of the negative
 * codes below. The set is deliberately small; the message that explains a
 * failure lives on the object that failed or in the log, never in errno. */
#ifndef TB_ERROR_H
#define TB_ERROR_H

/* TB_OK = 0, TB_ENOMEM = -1, TB_EIO = -2 and TB_EINVAL = -6 (caller passed
 * something unusable) are public, for libtboard users; tb_strerror too. */
#include "tboard/error.h"

enum {
	TB_ECORRUPT = -3,  /* bad CRC, bad protobuf, impossible length */
	TB_EPARTIAL = -4,  /* input ends mid-record; retry when it grows */
	TB_ENOTFOUND = -5, /* no such run, tag, file or key */
};

#endif
