#include "output/metrics_listen.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <sys/un.h>

/* Connections waiting for the server's accept: the server takes them at once, and at its
 * connection limit they wait here for a slot that a deadline frees within seconds. */
#define LISTEN_BACKLOG 16
/* Connecting to a Unix socket takes write permission on it: 0600 lets root alone in. */
#define UNIX_SOCKET_MODE 0600

int rl_metrics_split_addr(const char *addr, char *host, size_t host_size, uint16_t *port)
{
	const char *colon = strrchr(addr, ':');
	const char *start = addr, *end = colon;
	char *stop;
	unsigned long p;

	if (!colon)
		return -EINVAL;
	if (addr[0] == '[') {
		/* [v6]:port: the brackets are not part of the host. */
		start = addr + 1;
		if (colon == addr || colon[-1] != ']')
			return -EINVAL;
		end = colon - 1;
	}
	errno = 0;
	p = strtoul(colon + 1, &stop, 10);
	if (end <= start || (size_t)(end - start) >= host_size || errno || stop == colon + 1 ||
	    *stop || p < 1 || p > 65535)
		return -EINVAL;
	memcpy(host, start, (size_t)(end - start));
	host[end - start] = '\0';
	*port = (uint16_t)p;
	return 0;
}

bool rl_metrics_is_unix(const char *addr)
{
	return strncmp(addr, RL_METRICS_UNIX_PREFIX, strlen(RL_METRICS_UNIX_PREFIX)) == 0;
}

int rl_metrics_check_addr(const char *addr)
{
	struct sockaddr_un sa;
	char host[256];
	uint16_t port;

	if (rl_metrics_is_unix(addr)) {
		const char *path = addr + strlen(RL_METRICS_UNIX_PREFIX);

		return path[0] == '/' && strlen(path) < sizeof(sa.sun_path) ? 0 : -EINVAL;
	}
	return rl_metrics_split_addr(addr, host, sizeof(host), &port);
}

/* One ADDR[/PREFIX] of --metrics-allow: len bytes of text. Returns 0 or -EINVAL. */
static int parse_net(const char *text, size_t len, struct rl_metrics_net *net)
{
	char buf[INET6_ADDRSTRLEN + sizeof("/128")];
	char *slash, *stop;
	unsigned long prefix;

	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, text, len);
	buf[len] = '\0';
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	memset(net, 0, sizeof(*net));
	if (inet_pton(AF_INET, buf, net->addr) == 1) {
		net->family = AF_INET;
		net->prefix = 32;
	} else if (inet_pton(AF_INET6, buf, net->addr) == 1) {
		net->family = AF_INET6;
		net->prefix = 128;
	} else {
		return -EINVAL;
	}
	if (!slash)
		return 0;
	errno = 0;
	prefix = strtoul(slash + 1, &stop, 10);
	if (!isdigit((unsigned char)slash[1]) || errno || *stop || prefix > net->prefix)
		return -EINVAL;
	net->prefix = (unsigned int)prefix;
	return 0;
}

int rl_metrics_parse_allow(const char *list, struct rl_metrics_net *nets, size_t max,
			   size_t *nr)
{
	const char *p = list;

	*nr = 0;
	for (;;) {
		size_t len = strcspn(p, ",");

		if (*nr == max || parse_net(p, len, &nets[*nr]))
			return -EINVAL;
		(*nr)++;
		if (!p[len])
			return 0;
		p += len + 1;
	}
}

/* Whether the first bits of a and b are the same. */
static bool same_prefix(const unsigned char *a, const unsigned char *b, unsigned int bits)
{
	unsigned int whole = bits / 8, rest = bits % 8;
	unsigned char mask = (unsigned char)(0xff << (8 - rest));

	if (memcmp(a, b, whole))
		return false;
	return rest == 0 || ((a[whole] ^ b[whole]) & mask) == 0;
}

/* The client's address as a family and bytes; an IPv4-mapped IPv6 address (a dual-stack
 * socket's IPv4 client) as IPv4. Returns 0, or -EAFNOSUPPORT for a non-IP address. */
static int client_addr(const struct sockaddr *sa, socklen_t len, int *family,
		       unsigned char addr[16])
{
	struct sockaddr_in in4;
	struct sockaddr_in6 in6;

	if (sa->sa_family == AF_INET && len >= sizeof(in4)) {
		memcpy(&in4, sa, sizeof(in4));
		memcpy(addr, &in4.sin_addr, 4);
		*family = AF_INET;
		return 0;
	}
	if (sa->sa_family != AF_INET6 || len < sizeof(in6))
		return -EAFNOSUPPORT;
	memcpy(&in6, sa, sizeof(in6));
	*family = IN6_IS_ADDR_V4MAPPED(&in6.sin6_addr) ? AF_INET : AF_INET6;
	if (*family == AF_INET)
		memcpy(addr, &in6.sin6_addr.s6_addr[12], 4);
	else
		memcpy(addr, in6.sin6_addr.s6_addr, 16);
	return 0;
}

bool rl_metrics_allowed(const struct rl_metrics_net *nets, size_t nr,
			const struct sockaddr *sa, socklen_t len)
{
	unsigned char addr[16];
	int family;

	if (client_addr(sa, len, &family, addr))
		return false;
	for (size_t i = 0; i < nr; i++)
		if (nets[i].family == family && same_prefix(nets[i].addr, addr, nets[i].prefix))
			return true;
	return false;
}

/* Prints why addr cannot be listened on (why: a sentence, or NULL for err's text) and
 * returns err. */
static int refuse(const char *addr, const char *why, int err)
{
	fprintf(stderr, "ringlua: --metrics: cannot listen on %s: %s\n", addr,
		why ? why : strerror(-err));
	return err;
}

/* A TCP socket listening on HOST:PORT. Returns the descriptor or -errno (printed). */
static int listen_tcp(const char *addr)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE };
	struct addrinfo *res = NULL;
	char host[256], port_text[8];
	uint16_t port;
	int fd = -1, err, one = 1;

	if (rl_metrics_split_addr(addr, host, sizeof(host), &port)) {
		fprintf(stderr, "ringlua: --metrics %s: not HOST:PORT\n", addr);
		return -EINVAL;
	}
	snprintf(port_text, sizeof(port_text), "%u", port);
	err = getaddrinfo(host, port_text, &hints, &res);
	if (err) {
		fprintf(stderr, "ringlua: --metrics %s: %s\n", addr, gai_strerror(err));
		return -EINVAL;
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	err = fd < 0 ? -errno : 0;
	if (!err)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (!err && (bind(fd, res->ai_addr, res->ai_addrlen) || listen(fd, LISTEN_BACKLOG)))
		err = -errno;
	freeaddrinfo(res);
	if (err) {
		if (fd >= 0)
			close(fd);
		return refuse(addr, NULL, err);
	}
	return fd;
}

/* Whether the directory that will hold the socket lets nobody but root or ringlua's user
 * put, swap or remove names in it (sticky: others may not touch a name they do not
 * own). Otherwise the socket ringlua made could be swapped for a link between bind and
 * chmod. Returns 0 or -errno (printed). */
static int check_socket_dir(const char *addr, const char *path)
{
	char *copy = strdup(path);
	struct stat st;
	int err = 0;

	if (!copy)
		return refuse(addr, NULL, -ENOMEM);
	if (stat(dirname(copy), &st))
		err = refuse(addr, NULL, -errno);
	else if (!S_ISDIR(st.st_mode))
		err = refuse(addr, NULL, -ENOTDIR);
	else if ((st.st_uid != 0 && st.st_uid != geteuid()) ||
		 ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX)))
		err = refuse(addr, "its directory is not root's alone (others may write to "
				   "it, or own it)", -EPERM);
	free(copy);
	return err;
}

/* Whether a server answers at the Unix socket path. */
static bool answering(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	bool yes;

	if (fd < 0)
		return false;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	/* Nobody listening is ECONNREFUSED; a full backlog (EAGAIN) is somebody. */
	yes = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 || errno == EAGAIN;
	close(fd);
	return yes;
}

/* Makes room at path for the socket: nothing there, or a socket of ringlua's user that
 * nobody answers at (a run that was killed left it). Anything else stays there and is an
 * error. Returns 0 or -errno (printed). */
static int clear_stale(const char *addr, const char *path)
{
	struct stat st;

	if (lstat(path, &st))
		return errno == ENOENT ? 0 : refuse(addr, NULL, -errno);
	if (!S_ISSOCK(st.st_mode) || st.st_uid != geteuid())
		return refuse(addr, "something else is there (not replaced)", -EEXIST);
	if (answering(path))
		return refuse(addr, NULL, -EADDRINUSE);
	if (unlink(path) && errno != ENOENT)
		return refuse(addr, NULL, -errno);
	return 0;
}

/* Binds fd to the socket file at path, mode 0600, and notes which file it is. bind
 * creates the file and never follows a link or replaces anything (EADDRINUSE); nobody
 * can connect before listen, and by then only root may. Returns 0 or -errno. */
static int bind_unix(struct rl_metrics_listener *l, int fd, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)))
		return -errno;
	l->unix_path = strdup(path);
	if (!l->unix_path) {
		unlink(path);
		return -ENOMEM;
	}
	if (lstat(path, &st))
		return -errno;
	l->dev = st.st_dev;
	l->ino = st.st_ino;
	if (fchmodat(AT_FDCWD, path, UNIX_SOCKET_MODE, AT_SYMLINK_NOFOLLOW) ||
	    listen(fd, LISTEN_BACKLOG))
		return -errno;
	return 0;
}

/* A Unix socket listening at unix:PATH. Returns 0 or -errno (printed). */
static int listen_unix(struct rl_metrics_listener *l, const char *addr)
{
	const char *path = addr + strlen(RL_METRICS_UNIX_PREFIX);
	int fd, err;

	if (rl_metrics_check_addr(addr))
		return refuse(addr, "not an absolute path short enough for a socket", -EINVAL);
	err = check_socket_dir(addr, path);
	if (!err)
		err = clear_stale(addr, path);
	if (err)
		return err;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return refuse(addr, NULL, -errno);
	err = bind_unix(l, fd, path);
	if (err) {
		close(fd);
		rl_metrics_listener_remove(l);
		return refuse(addr, NULL, err);
	}
	l->fd = fd;
	return 0;
}

int rl_metrics_listen(struct rl_metrics_listener *l, const char *addr)
{
	*l = (struct rl_metrics_listener){ .fd = -1 };
	if (rl_metrics_is_unix(addr))
		return listen_unix(l, addr);
	l->fd = listen_tcp(addr);
	return l->fd < 0 ? l->fd : 0;
}

void rl_metrics_listener_remove(struct rl_metrics_listener *l)
{
	struct stat st;

	if (!l || !l->unix_path)
		return;
	if (lstat(l->unix_path, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == l->dev &&
	    st.st_ino == l->ino)
		unlink(l->unix_path);
	free(l->unix_path);
	l->unix_path = NULL;
}
