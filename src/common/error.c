/* Names for the error codes of error.h. */
#include "error.h"

const char *tb_strerror(int code)
{
	switch (code) {
	case TB_OK:
		return "success";
	case TB_ENOMEM:
		return "out of memory";
	case TB_EIO:
		return "input/output error";
	case TB_ECORRUPT:
		return "corrupt data";
	case TB_EPARTIAL:
		return "incomplete data";
	case TB_ENOTFOUND:
		return "not found";
	case TB_EINVAL:
		return "invalid argument";
	}
	return "unknown error";
}
