/* What --output and --output-creds accept: URLs taken apart (nats:// and tls://, the
 * host a certificate must name, credentials in them or not), and credentials files
 * parsed or refused. No server needed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output/nats_creds.h"
#include "output/nats_out.h"
#include "check.h"

static void test_urls(void)
{
	struct rl_nats_url u;

	CHECK(rl_nats_out_parse_url("nats://127.0.0.1:4222/a.b?stream=S", &u) == 0);
	CHECK(!u.tls && !u.userinfo && !strcmp(u.host, "127.0.0.1"));
	CHECK(!strcmp(u.server, "nats://127.0.0.1:4222") && !strcmp(u.stream, "S"));
	CHECK(rl_nats_out_parse_url("tls://bus.example:4443/x", &u) == 0);
	CHECK(u.tls && !strcmp(u.host, "bus.example") && !strcmp(u.server, "tls://bus.example:4443"));
	CHECK(rl_nats_out_parse_url("tls://u:p@w@[::1]:4443/x", &u) == 0);
	CHECK(u.tls && u.userinfo && !strcmp(u.host, "::1"));
	CHECK(rl_nats_out_parse_url("https://h:1/x", &u) == -EINVAL);
	CHECK(rl_nats_out_parse_url("tls://h/x", &u) == -EINVAL);
	CHECK(rl_nats_out_parse_url("tls:/h:1/x", &u) == -EINVAL);
	CHECK(rl_nats_out_parse_url("tls://h:1/", &u) == -EINVAL);
}

static void test_shown_url(void)
{
	char buf[128];

	CHECK(!strcmp(rl_nats_out_shown_url("tls://u:p@h:1/x", buf, sizeof(buf)),
		      "tls://***@h:1/x"));
	CHECK(!strcmp(rl_nats_out_shown_url("tls://h:1/a@b", buf, sizeof(buf)),
		      "tls://h:1/a@b"));
	CHECK(!strcmp(rl_nats_out_shown_url("nats://u:p@w@h:1/a@b", buf, sizeof(buf)),
		      "nats://***@h:1/a@b"));
}

/* Reads text as a credentials file of mode 0600; returns rl_nats_creds_read's result. */
static int read_creds(const char *text, struct rl_nats_creds *c)
{
	char path[] = "/tmp/ringlua_creds_XXXXXX";
	int fd = mkstemp(path), err;

	if (fd < 0)
		return -errno;
	err = write(fd, text, strlen(text)) == (ssize_t)strlen(text) ? 0 : -EIO;
	close(fd);
	if (!err)
		err = rl_nats_creds_read(path, c);
	unlink(path);
	return err;
}

static void test_creds(void)
{
	struct rl_nats_creds c;

	CHECK(read_creds("# for the bus\nuser=ringlua\r\npassword=a=b c\n\n", &c) == 0);
	CHECK(!strcmp(c.user, "ringlua") && !strcmp(c.password, "a=b c") && !c.token);
	rl_nats_creds_free(&c);
	CHECK(!c.text && !c.user);
	CHECK(read_creds("token=t0k", &c) == 0 && !strcmp(c.token, "t0k") && !c.user);
	rl_nats_creds_free(&c);
	rl_nats_creds_free(NULL);
	CHECK(read_creds("user=a\npassword=b\ntoken=c\n", &c) == -EINVAL && !c.text);
	CHECK(read_creds("user=a\nuser=b\npassword=c\n", &c) == -EINVAL);
	CHECK(read_creds("user=a\n", &c) == -EINVAL);
	CHECK(read_creds("token=\n", &c) == -EINVAL);
	CHECK(read_creds(" token=a\n", &c) == -EINVAL);
	CHECK(read_creds("-----BEGIN NATS USER JWT-----\neyJ0\n", &c) == -EINVAL);
}

int main(void)
{
	RUN(test_urls);
	RUN(test_shown_url);
	RUN(test_creds);
	return check_summary();
}
