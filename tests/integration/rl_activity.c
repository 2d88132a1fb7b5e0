/* rl_activity: makes known kernel activity for the source tests, and prints, one line
 * each, the fields a source should report for it, in the tests' key=value format.
 *
 *   rl_activity open PATH MISSING   open PATH (openat, open, openat2) and MISSING
 *   rl_activity syscall             a write of 777 bytes and a close that fails
 *   rl_activity tcp 4|6 [PORT]      connect to a loopback listener (on PORT, else an
 *                                   ephemeral port) and accept it
 *   rl_activity thread              a thread that exits before the process does
 *   rl_activity spin                on CPU until killed, in user space and in the kernel
 *
 * System calls go through syscall(2), so the arguments are exactly those printed. Exits
 * 0, 1 on a failure (printed), 2 on bad usage, 77 when the kernel lacks IPv6. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/openat2.h>

#define COMM "rl_activity"
#define WRITE_LEN 777
#define EXIT_SKIP 77
/* spin: a read of this many bytes takes about as long in the kernel as the user loop. */
#define SPIN_READ_LEN (1 << 20)
#define SPIN_USER_LOOPS 200000UL

/* The common fields of every line: what the current thread is. */
static void print_who(void)
{
	printf("pid=%d tid=%d uid=%u", getpid(), (int)syscall(SYS_gettid), getuid());
}

/* A raw system call's result the way the kernel returns it: the value, or -errno. */
static long kernel_ret(long r)
{
	return r < 0 ? -errno : r;
}

static void print_open(long flags, unsigned mode, long ret, const char *path)
{
	print_who();
	printf(" flags=%ld mode=%u ret=%ld comm=%s path=%s\n", flags, mode, ret, COMM, path);
}

static int do_opens(const char *path, const char *missing)
{
	long flags = O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC;
	long fd = kernel_ret(syscall(SYS_openat, AT_FDCWD, path, flags, 0640));

	print_open(flags, 0640, fd, path);
	print_open(O_RDONLY, 0, kernel_ret(syscall(SYS_openat, AT_FDCWD, missing, O_RDONLY, 0)),
		   missing);
#ifdef SYS_open
	print_open(O_RDONLY, 0, kernel_ret(syscall(SYS_open, path, O_RDONLY, 0)), path);
#endif
#ifdef SYS_openat2
	{
		struct open_how how = { .flags = O_RDONLY | O_CLOEXEC };
		long r = kernel_ret(syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how)));

		if (r != -ENOSYS)
			print_open(O_RDONLY | O_CLOEXEC, 0, r, path);
	}
#endif
	return fd < 0;
}

static void print_syscall(long nr, long ret)
{
	print_who();
	printf(" nr=%ld ret=%ld comm=%s\n", nr, ret, COMM);
}

static int do_syscalls(void)
{
	static const char buf[WRITE_LEN];
	int fd = open("/dev/null", O_WRONLY);

	if (fd < 0)
		return 1;
	print_syscall(SYS_write, kernel_ret(syscall(SYS_write, fd, buf, sizeof(buf))));
	print_syscall(SYS_close, kernel_ret(syscall(SYS_close, -1)));
	close(fd);
	return 0;
}

/* An address as the tests print it: dotted for IPv4, eight hex groups for IPv6. */
static void format_addr(const struct sockaddr_storage *ss, char *out, size_t size)
{
	const struct sockaddr_in *in4 = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
	const uint8_t *b = in6->sin6_addr.s6_addr;

	if (ss->ss_family == AF_INET) {
		inet_ntop(AF_INET, &in4->sin_addr, out, (socklen_t)size);
		return;
	}
	snprintf(out, size, "%x:%x:%x:%x:%x:%x:%x:%x", b[0] << 8 | b[1], b[2] << 8 | b[3],
		 b[4] << 8 | b[5], b[6] << 8 | b[7], b[8] << 8 | b[9], b[10] << 8 | b[11],
		 b[12] << 8 | b[13], b[14] << 8 | b[15]);
}

static int port_of(const struct sockaddr_storage *ss)
{
	return ntohs(ss->ss_family == AF_INET ? ((const struct sockaddr_in *)ss)->sin_port :
						((const struct sockaddr_in6 *)ss)->sin6_port);
}

/* One line for a connection seen from fd's end: local is s, remote is d. */
static void print_tcp(const char *dir, int fd)
{
	struct sockaddr_storage local, remote;
	socklen_t len = sizeof(local), rlen = sizeof(remote);
	char saddr[64], daddr[64];

	getsockname(fd, (struct sockaddr *)&local, &len);
	getpeername(fd, (struct sockaddr *)&remote, &rlen);
	format_addr(&local, saddr, sizeof(saddr));
	format_addr(&remote, daddr, sizeof(daddr));
	printf("dir=%s ", dir);
	print_who();
	printf(" comm=%s family=%d saddr=%s daddr=%s sport=%d dport=%d\n", COMM,
	       local.ss_family, saddr, daddr, port_of(&local), port_of(&remote));
}

/* A loopback listener on port (0: an ephemeral one); returns its fd or -1. */
static int listen_loopback(int family, int port, struct sockaddr_storage *addr, socklen_t *len)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)addr;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)addr;
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;

	memset(addr, 0, sizeof(*addr));
	addr->ss_family = (sa_family_t)family;
	if (family == AF_INET) {
		in4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		in4->sin_port = htons((uint16_t)port);
	} else {
		in6->sin6_addr = in6addr_loopback;
		in6->sin6_port = htons((uint16_t)port);
	}
	*len = family == AF_INET ? sizeof(*in4) : sizeof(*in6);
	/* A fixed port is reused while the previous run's connection is in TIME_WAIT. */
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)addr, *len) || listen(fd, 1) ||
	    getsockname(fd, (struct sockaddr *)addr, len)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int do_tcp(int family, int port)
{
	struct sockaddr_storage addr;
	socklen_t len;
	int listener = listen_loopback(family, port, &addr, &len);
	int client = -1, server = -1, status = 1;

	if (listener < 0) {
		fprintf(stderr, "rl_activity: cannot listen on loopback: %s\n", strerror(errno));
		return family == AF_INET6 && errno == EADDRNOTAVAIL ? EXIT_SKIP : 1;
	}
	client = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (client < 0 || connect(client, (struct sockaddr *)&addr, len))
		goto out;
	server = accept(listener, NULL, NULL);
	if (server < 0)
		goto out;
	print_tcp("connect", client);
	print_tcp("accept", server);
	status = 0;
out:
	if (status)
		fprintf(stderr, "rl_activity: tcp: %s\n", strerror(errno));
	/* The client closes first: TIME_WAIT falls on its ephemeral port, not the listener's. */
	if (client >= 0)
		close(client);
	if (server >= 0)
		close(server);
	close(listener);
	return status;
}

static void *thread_main(void *arg)
{
	(void)arg;
	return NULL;
}

/* A second thread exits and is joined: only the process's own exit is an exit. */
static int do_thread(void)
{
	pthread_t t;

	if (pthread_create(&t, NULL, thread_main, NULL) || pthread_join(t, NULL))
		return 1;
	printf("pid=%d\n", getpid());
	return 0;
}

/* Alternates a loop in user space with reads of /dev/zero, which the kernel spends its
 * time filling: samples of both modes, until the process is killed. */
static int do_spin(void)
{
	static char buf[SPIN_READ_LEN];
	volatile unsigned long n = 0;
	int fd = open("/dev/zero", O_RDONLY);

	if (fd < 0)
		return 1;
	for (;;) {
		for (unsigned long i = 0; i < SPIN_USER_LOOPS; i++)
			n = n + i;
		if (read(fd, buf, sizeof(buf)) < 0)
			return 1;
	}
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	int status = 2;

	if (!strcmp(mode, "open") && argc == 4)
		status = do_opens(argv[2], argv[3]);
	else if (!strcmp(mode, "syscall") && argc == 2)
		status = do_syscalls();
	else if (!strcmp(mode, "tcp") && (argc == 3 || argc == 4) &&
		 (!strcmp(argv[2], "4") || !strcmp(argv[2], "6")))
		status = do_tcp(argv[2][0] == '4' ? AF_INET : AF_INET6,
				argc == 4 ? atoi(argv[3]) : 0);
	else if (!strcmp(mode, "thread") && argc == 2)
		status = do_thread();
	else if (!strcmp(mode, "spin") && argc == 2)
		status = do_spin();
	else
		fprintf(stderr, "usage: rl_activity open PATH MISSING | syscall | tcp 4|6 [PORT] | thread | spin\n");
	fflush(stdout);
	return status;
}
