/* Tests for the object store XML answers (src/fs/s3xml.c): a ListObjectsV2
 * page as s3rver writes it, a truncated page with its token, an error
 * document, and answers refused whole (a DTD, sizes that are not byte
 * counts, XML cut short). The fuzz target fuzz/s3xml_fuzzer.c covers the
 * rest. */
#include "../harness.h"
#include "common/error.h"
#include "fs/s3xml.h"

static int parse(tb_s3xml *x, const char *s)
{
	return tb_s3xml_parse(x, s, strlen(s));
}

static void test_s3xml__page(void)
{
	tb_s3xml x;
	CHECK_INT(parse(&x, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			    "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
			    "<Name>logs</Name><Prefix>run/</Prefix><KeyCount>3</KeyCount>"
			    "<IsTruncated>false</IsTruncated>"
			    "<Contents><Key>run/a &amp; b &lt;c&gt;/x.pbtxt</Key>"
			    "<ETag>&quot;d41d8&quot;</ETag><Size>0</Size></Contents>"
			    "<Contents><Key>run/eval/events.out.tfevents.1</Key>"
			    "<Size>5497558138880</Size></Contents>"
			    "<Contents><ETag>\"no key\"</ETag><Size>3</Size></Contents>"
			    "</ListBucketResult>"),
		  0);
	CHECK_INT(x.n, 2);
	if (x.n == 2) {
		CHECK_STR(x.v[0].key, "run/a & b <c>/x.pbtxt");
		CHECK_STR(x.v[0].etag, "\"d41d8\"");
		CHECK_STR(x.v[1].etag, "");
		CHECK(x.v[1].size == TB_S3XML_MAX_SIZE);
	}
	CHECK_INT(x.truncated, 0);
	CHECK(x.next_token == NULL && x.code == NULL);
	tb_s3xml_release(&x);
}

static void test_s3xml__truncated_and_error(void)
{
	tb_s3xml x;
	CHECK_INT(parse(&x,
			"<ListBucketResult><NextContinuationToken>1wS+/=</NextContinuationToken>"
			"<IsTruncated>true</IsTruncated><Contents><Key>k</Key><Size>7</Size>"
			"</Contents></ListBucketResult>"),
		  0);
	CHECK_INT(x.truncated, 1);
	CHECK(x.next_token && strcmp(x.next_token, "1wS+/=") == 0);
	CHECK(x.n == 1 && x.v[0].size == 7);
	tb_s3xml_release(&x);
	CHECK_INT(parse(&x, "<Error><Code>NoSuchBucket</Code><Message>The specified bucket does "
			    "not exist</Message></Error>"),
		  0);
	CHECK(x.code && strcmp(x.code, "NoSuchBucket") == 0);
	CHECK(x.message && strstr(x.message, "bucket"));
	tb_s3xml_release(&x);
}

static void test_s3xml__refused(void)
{
	static const char *const bad[] = {
	    /* entity expansion needs a DTD: none is taken */
	    "<?xml version=\"1.0\"?><!DOCTYPE L [<!ENTITY a \"aaaa\">]><L><Contents><Key>&a;"
	    "</Key><Size>1</Size></Contents></L>",
	    "<L><Contents><Key>a</Key><Size>-1</Size></Contents></L>",
	    "<L><Contents><Key>a</Key><Size> 12</Size></Contents></L>",
	    "<L><Contents><Key>a</Key><Size></Size></Contents></L>",
	    "<L><Contents><Key>a</Key><Size>18446744073709551615</Size></Contents></L>",
	    "<L><Contents><Key>a</Key><Size>5497558138881</Size></Contents></L>",
	    "<L><Contents><Key>a</Key><Size>12",
	    "",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		tb_s3xml x;
		CHECK_INT(parse(&x, bad[i]), TB_ECORRUPT);
		tb_s3xml_release(&x);
	}
	/* a Contents inside a Contents starts over; nothing leaks */
	tb_s3xml x;
	CHECK_INT(
	    parse(&x, "<L><Contents><Key>a</Key><Contents><Key>b</Key></Contents></Contents></L>"),
	    0);
	CHECK(x.n == 1 && strcmp(x.v[0].key, "b") == 0);
	tb_s3xml_release(&x);
}

int main(void)
{
	TB_RUN(test_s3xml__page);
	TB_RUN(test_s3xml__truncated_and_error);
	TB_RUN(test_s3xml__refused);
	return tb_test_finish();
}
