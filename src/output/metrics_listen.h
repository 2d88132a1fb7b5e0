/* Where /metrics listens and whom it lets in: a TCP address, or a Unix socket that
 * ringlua creates itself (never through a link, never over someone else's file), and
 * --metrics-allow's networks, which a TCP client's address must be in. */
#ifndef RINGLUA_METRICS_LISTEN_H
#define RINGLUA_METRICS_LISTEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

/* --metrics unix:PATH: a Unix socket at PATH (absolute). */
#define RL_METRICS_UNIX_PREFIX "unix:"
/* Networks --metrics-allow takes: a handful of scrapers' hosts or subnets. */
#define RL_METRICS_MAX_ALLOW 16

/* One network of --metrics-allow: ADDR/PREFIX, IPv4 or IPv6. */
struct rl_metrics_net {
	int family;		/* AF_INET or AF_INET6 */
	unsigned char addr[16];	/* network byte order; IPv4 in the first 4 */
	unsigned int prefix;	/* leading bits that must match */
};

/* A listening socket, and the Unix socket's file to remove at the end. */
struct rl_metrics_listener {
	int fd;
	char *unix_path;	/* NULL for TCP */
	dev_t dev;		/* the socket file ringlua made: removed only if still it */
	ino_t ino;
};

/* Splits "HOST:PORT" (HOST may be [v6]) into host and port, without resolving: what
 * the command line checks. Returns 0, or -EINVAL for no host, no port or a port outside
 * 1..65535. */
int rl_metrics_split_addr(const char *addr, char *host, size_t host_size, uint16_t *port);

/* Checks --metrics's value in form: HOST:PORT, or unix:PATH with PATH absolute and short
 * enough for a socket address. Returns 0 or -EINVAL. */
int rl_metrics_check_addr(const char *addr);

/* Whether --metrics's value is a Unix socket. */
bool rl_metrics_is_unix(const char *addr);

/* Parses --metrics-allow's ADDR[/PREFIX][,...] (IPv4 or IPv6; no prefix: that address
 * alone) into nets (room for max). Returns 0 with *nr set, or -EINVAL. */
int rl_metrics_parse_allow(const char *list, struct rl_metrics_net *nets, size_t max,
			   size_t *nr);

/* Whether the client at sa (an IPv4-mapped IPv6 address counts as its IPv4 address) is
 * in one of nets. */
bool rl_metrics_allowed(const struct rl_metrics_net *nets, size_t nr,
			const struct sockaddr *sa, socklen_t len);

/* Listens on addr (HOST:PORT, or unix:PATH: created mode 0600 in a directory nobody
 * else may write to unless it is sticky; a socket of ringlua's own left by a run that
 * died is replaced, anything else there is refused). Returns 0, or -errno with one line
 * printed. */
int rl_metrics_listen(struct rl_metrics_listener *l, const char *addr);

/* Removes the Unix socket's file if it is still the one made, and frees the path; the
 * descriptor is the server's to close. Accepts NULL. */
void rl_metrics_listener_remove(struct rl_metrics_listener *l);

#endif
