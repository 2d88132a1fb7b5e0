/* --metrics-allow: the lists it takes and refuses, and which client addresses are in
 * them (prefixes that end inside a byte, /0, IPv6, and IPv4 clients of a dual-stack
 * socket, which arrive as IPv4-mapped IPv6 addresses). */
#include <arpa/inet.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/un.h>

#include "output/metrics_listen.h"
#include "check.h"

/* Whether the IPv4 or IPv6 client text is in list (which must parse). */
static int allowed(const char *list, const char *client)
{
	struct rl_metrics_net nets[RL_METRICS_MAX_ALLOW];
	struct sockaddr_in in4 = { .sin_family = AF_INET };
	struct sockaddr_in6 in6 = { .sin6_family = AF_INET6 };
	size_t nr;

	if (rl_metrics_parse_allow(list, nets, RL_METRICS_MAX_ALLOW, &nr))
		return -1;
	if (inet_pton(AF_INET, client, &in4.sin_addr) == 1)
		return rl_metrics_allowed(nets, nr, (struct sockaddr *)&in4, sizeof(in4));
	if (inet_pton(AF_INET6, client, &in6.sin6_addr) == 1)
		return rl_metrics_allowed(nets, nr, (struct sockaddr *)&in6, sizeof(in6));
	return -1;
}

static void test_refuses_what_is_not_a_list_of_networks(void)
{
	static const char *const bad[] = {
		"", ",", "127.0.0.1,", ",127.0.0.1", "127.0.0.1/33", "::1/129", "127.0.0.1/",
		"127.0.0.1/-1", "127.0.0.1/+8", "127.0.0.1/ 8", "10.0.0.0/8x", "300.1.1.1",
		"localhost", "127.0.0.1 ", "1.2.3.4/8/8",
	};
	struct rl_metrics_net nets[RL_METRICS_MAX_ALLOW];
	char many[RL_METRICS_MAX_ALLOW * 16 + 16] = "";
	size_t nr;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(rl_metrics_parse_allow(bad[i], nets, RL_METRICS_MAX_ALLOW, &nr) != 0);
	for (int i = 0; i <= RL_METRICS_MAX_ALLOW; i++)
		strcat(many, i ? ",10.0.0.1" : "10.0.0.1");
	CHECK(rl_metrics_parse_allow(many, nets, RL_METRICS_MAX_ALLOW, &nr) != 0);
	*strrchr(many, ',') = '\0'; /* the most it takes */
	CHECK(rl_metrics_parse_allow(many, nets, RL_METRICS_MAX_ALLOW, &nr) == 0);
	CHECK(nr == RL_METRICS_MAX_ALLOW);
}

static void test_ipv4_prefixes(void)
{
	CHECK(allowed("127.0.0.2", "127.0.0.2") == 1);
	CHECK(allowed("127.0.0.2", "127.0.0.1") == 0);
	CHECK(allowed("10.0.0.0/8", "10.255.1.2") == 1);
	CHECK(allowed("10.0.0.0/8", "11.0.0.1") == 0);
	/* A prefix that ends inside a byte: 192.168.0.0/23 is .0.x and .1.x. */
	CHECK(allowed("192.168.0.0/23", "192.168.1.200") == 1);
	CHECK(allowed("192.168.0.0/23", "192.168.2.1") == 0);
	/* Host bits past the prefix do not matter. */
	CHECK(allowed("10.9.9.9/8", "10.1.1.1") == 1);
	CHECK(allowed("0.0.0.0/0", "203.0.113.7") == 1);
	CHECK(allowed("1.2.3.4,10.0.0.0/8", "10.0.0.1") == 1);
}

static void test_ipv6_and_mapped_ipv4(void)
{
	CHECK(allowed("::1", "::1") == 1);
	CHECK(allowed("2001:db8::/32", "2001:db8:1::5") == 1);
	CHECK(allowed("2001:db8::/33", "2001:db8:8000::1") == 0);
	CHECK(allowed("::/0", "fe80::1") == 1);
	/* An IPv4 client of a dual-stack socket is its IPv4 address... */
	CHECK(allowed("10.0.0.0/8", "::ffff:10.1.2.3") == 1);
	CHECK(allowed("10.0.0.0/8", "::ffff:11.1.2.3") == 0);
	/* ...and an IPv6 network never lets an IPv4 client in, nor the other way. */
	CHECK(allowed("::/0", "10.1.2.3") == 0);
	CHECK(allowed("0.0.0.0/0", "2001:db8::1") == 0);
}

static void test_a_unix_client_is_in_no_network(void)
{
	struct rl_metrics_net nets[1];
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	size_t nr;

	CHECK(rl_metrics_parse_allow("0.0.0.0/0", nets, 1, &nr) == 0);
	CHECK(!rl_metrics_allowed(nets, nr, (struct sockaddr *)&un, sizeof(sa_family_t)));
}

static void test_addresses_in_form(void)
{
	CHECK(rl_metrics_check_addr("127.0.0.1:9435") == 0);
	CHECK(rl_metrics_check_addr("[::1]:9435") == 0);
	CHECK(rl_metrics_check_addr("unix:/run/ringlua.sock") == 0);
	CHECK(rl_metrics_check_addr("unix:run/ringlua.sock") != 0);
	CHECK(rl_metrics_check_addr("unix:") != 0);
	CHECK(rl_metrics_is_unix("unix:/x"));
	CHECK(!rl_metrics_is_unix("127.0.0.1:1"));
}

int main(void)
{
	RUN(test_refuses_what_is_not_a_list_of_networks);
	RUN(test_ipv4_prefixes);
	RUN(test_ipv6_and_mapped_ipv4);
	RUN(test_a_unix_client_is_in_no_network);
	RUN(test_addresses_in_form);
	return check_summary();
}
