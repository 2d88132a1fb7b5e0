#include "app/metrics.h"

#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <microhttpd.h>

/* The content type of the text exposition format. */
#define EXPOSITION_TYPE "text/plain; version=0.0.4; charset=utf-8"
/* Prometheus scrapes with one connection at a time per target; a few more let a person
 * look with curl meanwhile, and bound what a flood of clients can take. */
#define MAX_CONNECTIONS 16
/* A client that sends nothing for this long is let go. */
#define CONNECTION_TIMEOUT_S 10
#define LISTEN_BACKLOG 16

struct rl_metrics {
	struct MHD_Daemon *daemon;
	int listen_fd;
	pthread_mutex_t lock;	/* guards text and len: the loop swaps, scrapes copy */
	char *text;
	size_t len;
	_Atomic uint64_t scrapes;
};

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

/* A socket listening on addr. Returns the descriptor or -errno (printed). */
static int listen_on(const char *addr)
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
		fprintf(stderr, "ringlua: --metrics: cannot listen on %s: %s\n", addr,
			strerror(-err));
		if (fd >= 0)
			close(fd);
		return err;
	}
	return fd;
}

/* Queues a response of text (copied) with the given status and type. */
static enum MHD_Result respond(struct MHD_Connection *conn, unsigned int status,
			       const char *text, size_t len, const char *type)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)text,
								 MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* The request handler, on the server's thread: /metrics gets a copy of the snapshot. */
static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	static const char not_found[] = "ringlua serves /metrics\n";
	static const char starting[] = "ringlua is starting\n";
	struct rl_metrics *m = cls;
	enum MHD_Result ret;

	(void)version, (void)upload, (void)upload_size, (void)con_cls;
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return respond(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "", 0, "text/plain");
	if (strcmp(url, "/metrics"))
		return respond(conn, MHD_HTTP_NOT_FOUND, not_found, sizeof(not_found) - 1,
			       "text/plain");
	pthread_mutex_lock(&m->lock);
	/* Before the loop's first snapshot there is nothing true to say: a scraper that
	 * got an empty 200 would take it for a target without series. */
	if (m->text)
		ret = respond(conn, MHD_HTTP_OK, m->text, m->len, EXPOSITION_TYPE);
	else
		ret = respond(conn, MHD_HTTP_SERVICE_UNAVAILABLE, starting, sizeof(starting) - 1,
			      "text/plain");
	pthread_mutex_unlock(&m->lock);
	atomic_fetch_add(&m->scrapes, 1);
	return ret;
}

/* Starts the server's thread with every signal blocked: SIGINT, SIGHUP and the
 * watchdog's SIGALRM must reach the loop's thread, whose waits they end. */
static struct MHD_Daemon *start_server(struct rl_metrics *m)
{
	sigset_t all, old;
	struct MHD_Daemon *d;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO, 0, NULL, NULL,
			     answer, m, MHD_OPTION_LISTEN_SOCKET, m->listen_fd,
			     MHD_OPTION_CONNECTION_LIMIT, (unsigned int)MAX_CONNECTIONS,
			     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)CONNECTION_TIMEOUT_S,
			     MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return d;
}

int rl_metrics_open(struct rl_metrics **out, const char *addr)
{
	struct rl_metrics *m = calloc(1, sizeof(*m));

	*out = NULL;
	if (!m)
		return -ENOMEM;
	m->listen_fd = -1;
	pthread_mutex_init(&m->lock, NULL);
	m->listen_fd = listen_on(addr);
	if (m->listen_fd < 0) {
		int err = m->listen_fd;

		rl_metrics_close(m);
		return err;
	}
	m->daemon = start_server(m);
	if (!m->daemon) {
		fprintf(stderr, "ringlua: --metrics: cannot start the HTTP server\n");
		rl_metrics_close(m);
		return -EIO;
	}
	*out = m;
	return 0;
}

/* ringlua's own series, in the text format. */
static void write_own(FILE *f, const struct rl_metrics_own *o, uint64_t scrapes)
{
	fprintf(f, "# HELP ringlua_events_total Events handed to the script.\n"
		   "# TYPE ringlua_events_total counter\nringlua_events_total %llu\n",
		(unsigned long long)o->events);
	fprintf(f, "# HELP ringlua_dropped_total Events the BPF side could not put in a ring.\n"
		   "# TYPE ringlua_dropped_total counter\nringlua_dropped_total %llu\n",
		(unsigned long long)o->dropped);
	fprintf(f, "# HELP ringlua_errors_total Handler errors.\n"
		   "# TYPE ringlua_errors_total counter\nringlua_errors_total %llu\n",
		(unsigned long long)o->errors);
	fprintf(f, "# HELP ringlua_reloads_total Reloads of the script.\n"
		   "# TYPE ringlua_reloads_total counter\nringlua_reloads_total %llu\n",
		(unsigned long long)o->reloads);
	fprintf(f, "# HELP ringlua_consumer_cpu_seconds_total CPU time of the event loop "
		   "(ring reads and the script).\n"
		   "# TYPE ringlua_consumer_cpu_seconds_total counter\n"
		   "ringlua_consumer_cpu_seconds_total %.6f\n", o->cpu_seconds);
	fprintf(f, "# HELP ringlua_ring_fill_ratio Share of each ring's data area holding "
		   "records not read yet.\n# TYPE ringlua_ring_fill_ratio gauge\n");
	for (size_t i = 0; i < o->nr_rings; i++)
		if (o->rings[i].pending >= 0 && o->rings[i].size > 0)
			fprintf(f, "ringlua_ring_fill_ratio{ring=\"%s\"} %.6f\n", o->rings[i].name,
				(double)o->rings[i].pending / (double)o->rings[i].size);
	fprintf(f, "# HELP ringlua_metrics_series_dropped Label sets of the script's "
		   "aggregations left out of this exposition (--max-series).\n"
		   "# TYPE ringlua_metrics_series_dropped gauge\n"
		   "ringlua_metrics_series_dropped %llu\n", (unsigned long long)o->series_dropped);
	fprintf(f, "# HELP ringlua_metrics_render_errors_total Snapshots the script's "
		   "aggregations failed to render.\n"
		   "# TYPE ringlua_metrics_render_errors_total counter\n"
		   "ringlua_metrics_render_errors_total %llu\n",
		(unsigned long long)o->render_errors);
	if (o->output)
		fprintf(f, "# HELP ringlua_output_published_total Messages --output's server "
			   "confirmed.\n# TYPE ringlua_output_published_total counter\n"
			   "ringlua_output_published_total %llu\n"
			   "# HELP ringlua_output_dropped_total Messages --output dropped or "
			   "could not have confirmed.\n# TYPE ringlua_output_dropped_total counter\n"
			   "ringlua_output_dropped_total %llu\n",
			(unsigned long long)o->output_published,
			(unsigned long long)o->output_dropped);
	fprintf(f, "# HELP ringlua_metrics_scrapes_total Scrapes answered.\n"
		   "# TYPE ringlua_metrics_scrapes_total counter\n"
		   "ringlua_metrics_scrapes_total %llu\n", (unsigned long long)scrapes);
}

int rl_metrics_publish(struct rl_metrics *m, const struct rl_metrics_own *own,
		       const char *agg_text, size_t agg_len)
{
	char *text = NULL, *old;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return -ENOMEM;
	write_own(f, own, rl_metrics_scrapes(m));
	if (agg_text)
		fwrite(agg_text, 1, agg_len, f);
	if (fclose(f) || !text) {
		free(text);
		return -ENOMEM;
	}
	pthread_mutex_lock(&m->lock);
	old = m->text;
	m->text = text;
	m->len = len;
	pthread_mutex_unlock(&m->lock);
	free(old);
	return 0;
}

uint64_t rl_metrics_scrapes(const struct rl_metrics *m)
{
	return atomic_load(&m->scrapes);
}

void rl_metrics_close(struct rl_metrics *m)
{
	if (!m)
		return;
	if (m->daemon)
		MHD_stop_daemon(m->daemon); /* closes the listening socket too */
	else if (m->listen_fd >= 0)
		close(m->listen_fd);
	pthread_mutex_destroy(&m->lock);
	free(m->text);
	free(m);
}
