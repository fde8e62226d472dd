/* Unit tests for hostport: every spelling the flags accept, and refusals. */
#include "lib/hostport.h"
#include "test.h"

#include <errno.h>

TEST(spellings)
{
	char h[64];
	int port = -1;
	CHECK_EQ_INT(hostport_parse("127.0.0.1:5640", NULL, h, sizeof h, &port), 0);
	CHECK_EQ_STR(h, "127.0.0.1");
	CHECK_EQ_INT(port, 5640);
	CHECK_EQ_INT(hostport_parse("[::1]:0", NULL, h, sizeof h, &port), 0);
	CHECK_EQ_STR(h, "::1");
	CHECK_EQ_INT(port, 0);
	CHECK_EQ_INT(hostport_parse("31337", "127.0.0.1", h, sizeof h, &port), 0);
	CHECK_EQ_STR(h, "127.0.0.1");
	CHECK_EQ_INT(port, 31337);
	CHECK_EQ_INT(hostport_parse("localhost:65535", NULL, h, sizeof h, &port), 0);
	CHECK_EQ_INT(port, 65535);
	CHECK_EQ_INT(hostport_parse("::1:80", NULL, h, sizeof h, &port), 0); /* the last colon splits */
	CHECK_EQ_STR(h, "::1");
}

TEST(refusals_leave_outputs_alone)
{
	char h[8] = "keep";
	int port = 7;
	CHECK_EQ_INT(hostport_parse("5640", NULL, h, sizeof h, &port), -EINVAL); /* host required */
	CHECK_EQ_INT(hostport_parse(":5640", "x", h, sizeof h, &port), -EINVAL);
	CHECK_EQ_INT(hostport_parse("h:", NULL, h, sizeof h, &port), -EINVAL);
	CHECK_EQ_INT(hostport_parse("h:65536", NULL, h, sizeof h, &port), -EINVAL);
	CHECK_EQ_INT(hostport_parse("h:-1", NULL, h, sizeof h, &port), -EINVAL);
	CHECK_EQ_INT(hostport_parse("h:+1", NULL, h, sizeof h, &port), -EINVAL);
	CHECK_EQ_INT(hostport_parse("h:12x", NULL, h, sizeof h, &port), -EINVAL);
	CHECK_EQ_INT(hostport_parse("[::1]80", NULL, h, sizeof h, &port), -EINVAL);
	CHECK_EQ_INT(hostport_parse("[]:80", NULL, h, sizeof h, &port), -EINVAL);
	CHECK_EQ_INT(hostport_parse("", "x", h, sizeof h, &port), -EINVAL);
	CHECK_EQ_INT(hostport_parse("abcdefgh:1", NULL, h, sizeof h, &port), -ENAMETOOLONG);
	CHECK_EQ_STR(h, "keep");
	CHECK_EQ_INT(port, 7);
}

int main(void)
{
	RUN(spellings);
	RUN(refusals_leave_outputs_alone);
	return test_done();
}
