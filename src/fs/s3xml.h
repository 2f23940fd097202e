/* The XML answers of object stores, parsed with expat: a ListObjectsV2
 * page (S3, and GCS's XML API) and an error document. The bytes come from
 * the network and are untrusted: a document with a DTD, a Size that is not
 * a plain byte count, or XML that does not parse is refused whole, so a
 * listing never holds an object it did not read right. Entries without a
 * Key are skipped. Memory grows with the answer only (callers bound its
 * size).
 *
 * Thread-safe: no shared state. */
#ifndef TB_S3XML_H
#define TB_S3XML_H

#include <stddef.h>
#include <stdint.h>

/* One listed object. */
typedef struct tb_s3xml_obj {
	char *key;
	char *etag;    /* "" when the entry has none */
	uint64_t size; /* bytes */
	uint64_t id;   /* 0 as parsed; the snapshot numbers objects */
} tb_s3xml_obj;

typedef struct tb_s3xml {
	tb_s3xml_obj *v; /* Contents entries with a Key, in answer order */
	size_t n;
	int truncated;	  /* IsTruncated is "true": another page follows */
	char *next_token; /* NextContinuationToken, or NULL */
	char *code;	  /* an error document's Code, or NULL */
	char *message;	  /* and its Message, or NULL */
} tb_s3xml;

/* Largest Size taken: S3's limit on one object is 5 TiB. */
#define TB_S3XML_MAX_SIZE ((uint64_t)5 << 40)

/* Parse the n bytes at body into *out (the caller releases it with
 * tb_s3xml_release, also after a failure). Returns 0, TB_ECORRUPT, or
 * TB_ENOMEM when expat cannot start. */
int tb_s3xml_parse(tb_s3xml *out, const char *body, size_t n);
void tb_s3xml_release(tb_s3xml *x);

#endif
