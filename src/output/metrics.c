#include "output/metrics.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <microhttpd.h>

#include "output/metrics_listen.h"
#include "util/clock.h"

/* The content type of the text exposition format. */
#define EXPOSITION_TYPE "text/plain; version=0.0.4; charset=utf-8"
/* Connections one client address may hold. Prometheus scrapes a target over one
 * connection at a time; 4 leave room for a person's curl beside it, and a client that
 * opens more cannot take the slots other clients need. */
#define PER_CLIENT_CONNECTIONS 4
/* Connections of all clients together: 16 hosts at their limit. Each costs the server a
 * 32 KB buffer and a descriptor; past this, new ones wait in the listen backlog until a
 * deadline below frees a slot. */
#define MAX_CONNECTIONS 64
/* A scraper sends its whole request as soon as it connects (or, on a kept connection, as
 * soon as it scrapes again), in one packet: 2 s allow for retransmissions on a lossy
 * link. A client still sending headers after that holds a slot without asking for
 * anything, and a header line every few seconds would keep an idle timeout from ever
 * ending it: this deadline counts from the connection's start, whatever it sends. */
#define REQUEST_DEADLINE_MS 2000
/* From the request to the last byte of the answer: Prometheus's default scrape_timeout,
 * after which the scraper has given up and a client still reading only holds a slot. */
#define RESPONSE_DEADLINE_MS 10000
/* libmicrohttpd's own idle timeout: a backstop, since the deadlines above come first. */
#define CONNECTION_TIMEOUT_S 10

/* A connection the server holds, and when it must be done. */
struct conn_slot {
	int fd;			/* the server's descriptor; -1: a free slot */
	uint64_t deadline_ms;	/* rl_now_ms() time; UINT64_MAX: shut down already */
};

struct rl_metrics {
	struct MHD_Daemon *daemon;
	struct rl_metrics_listener listener;
	pthread_mutex_t lock;	/* guards text and len: the loop swaps, scrapes copy */
	char *text;
	size_t len;
	_Atomic uint64_t scrapes;
	_Atomic uint64_t expired;	/* connections shut down at a deadline */
	_Atomic uint64_t refused;	/* connections --metrics-allow refused */
	struct rl_metrics_net allow[RL_METRICS_MAX_ALLOW];
	size_t nr_allow;	/* 0: every client */
	/* The reaper thread shuts down connections past their deadline: conns_lock guards
	 * conns and stopping; conns_changed wakes it for a new deadline or the stop. */
	pthread_mutex_t conns_lock;
	pthread_cond_t conns_changed;
	struct conn_slot conns[MAX_CONNECTIONS];
	bool stopping;
	pthread_t reaper;
	bool reaper_started;
};

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

/* Gives conn's slot a new deadline, ms from now, and wakes the reaper for it. */
static void set_deadline(struct rl_metrics *m, struct MHD_Connection *conn, uint64_t ms)
{
	const union MHD_ConnectionInfo *info =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct conn_slot *slot = info ? info->socket_context : NULL;

	if (!slot)
		return;
	pthread_mutex_lock(&m->conns_lock);
	if (slot->deadline_ms != UINT64_MAX)
		slot->deadline_ms = rl_now_ms() + ms;
	pthread_cond_signal(&m->conns_changed);
	pthread_mutex_unlock(&m->conns_lock);
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
	/* The request is in: from now on the answer has its own deadline. */
	set_deadline(m, conn, RESPONSE_DEADLINE_MS);
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

/* An answer sent (or given up): a kept connection's next request has the request
 * deadline again. */
static void request_done(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode code)
{
	(void)con_cls, (void)code;
	set_deadline(cls, conn, REQUEST_DEADLINE_MS);
}

/* A free slot, or NULL. Under conns_lock. */
static struct conn_slot *free_slot(struct rl_metrics *m)
{
	for (size_t i = 0; i < MAX_CONNECTIONS; i++)
		if (m->conns[i].fd < 0)
			return &m->conns[i];
	return NULL;
}

/* The server took a connection (it gets a slot and the request deadline) or is about to
 * close one (its slot is freed before the descriptor is closed, so the reaper never
 * touches a descriptor that may be reused). */
static void connection_notice(void *cls, struct MHD_Connection *conn, void **socket_context,
			      enum MHD_ConnectionNotificationCode code)
{
	struct rl_metrics *m = cls;
	struct conn_slot *slot = *socket_context;
	const union MHD_ConnectionInfo *info;

	pthread_mutex_lock(&m->conns_lock);
	if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		if (slot)
			slot->fd = -1;
	} else {
		info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		slot = info ? free_slot(m) : NULL;
		if (slot)
			*slot = (struct conn_slot){ info->connect_fd,
						    rl_now_ms() + REQUEST_DEADLINE_MS };
		else if (info) /* more than the limit: cannot happen, and is not kept */
			shutdown(info->connect_fd, SHUT_RDWR);
		*socket_context = slot;
	}
	pthread_cond_signal(&m->conns_changed);
	pthread_mutex_unlock(&m->conns_lock);
}

/* Before the server takes a connection: whether --metrics-allow lets the client in. */
static enum MHD_Result allow_client(void *cls, const struct sockaddr *addr, socklen_t len)
{
	struct rl_metrics *m = cls;

	if (rl_metrics_allowed(m->allow, m->nr_allow, addr, len))
		return MHD_YES;
	atomic_fetch_add(&m->refused, 1);
	return MHD_NO;
}

/* Shuts down the connections past their deadline: the server sees them end and closes
 * them. Returns the next deadline, UINT64_MAX for none. Under conns_lock. */
static uint64_t shut_expired(struct rl_metrics *m, uint64_t now)
{
	uint64_t next = UINT64_MAX;

	for (size_t i = 0; i < MAX_CONNECTIONS; i++) {
		struct conn_slot *c = &m->conns[i];

		if (c->fd < 0 || c->deadline_ms == UINT64_MAX)
			continue;
		if (c->deadline_ms <= now) {
			shutdown(c->fd, SHUT_RDWR);
			c->deadline_ms = UINT64_MAX;
			atomic_fetch_add(&m->expired, 1);
		} else if (c->deadline_ms < next) {
			next = c->deadline_ms;
		}
	}
	return next;
}

/* The reaper thread: sleeps until the next deadline (or a change), shuts down what is
 * past it, until rl_metrics_close. */
static void *reap(void *arg)
{
	struct rl_metrics *m = arg;

	pthread_mutex_lock(&m->conns_lock);
	while (!m->stopping) {
		uint64_t next = shut_expired(m, rl_now_ms());
		struct timespec at = { (time_t)(next / 1000), (long)(next % 1000) * 1000000 };

		if (next == UINT64_MAX)
			pthread_cond_wait(&m->conns_changed, &m->conns_lock);
		else
			pthread_cond_timedwait(&m->conns_changed, &m->conns_lock, &at);
	}
	pthread_mutex_unlock(&m->conns_lock);
	return NULL;
}

/* Starts the reaper and the server's thread with every signal blocked: SIGINT, SIGHUP
 * and the watchdog's SIGALRM must reach the loop's thread, whose waits they end.
 * Returns 0 or -EIO. */
static int start_server(struct rl_metrics *m)
{
	sigset_t all, old;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	m->reaper_started = pthread_create(&m->reaper, NULL, reap, m) == 0;
	if (m->reaper_started)
		m->daemon = MHD_start_daemon(
			MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO, 0,
			m->nr_allow ? allow_client : NULL, m, answer, m,
			MHD_OPTION_LISTEN_SOCKET, m->listener.fd,
			MHD_OPTION_CONNECTION_LIMIT, (unsigned int)MAX_CONNECTIONS,
			MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)PER_CLIENT_CONNECTIONS,
			MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)CONNECTION_TIMEOUT_S,
			MHD_OPTION_NOTIFY_CONNECTION, connection_notice, m,
			MHD_OPTION_NOTIFY_COMPLETED, request_done, m, MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (m->daemon)
		return 0;
	fprintf(stderr, "ringlua: --metrics: cannot start the HTTP server\n");
	return -EIO;
}

/* The lock, the reaper's condition (on the monotonic clock, which deadlines are in) and
 * the free slots. Returns 0 or -errno. */
static int init_conns(struct rl_metrics *m)
{
	pthread_condattr_t attr;
	int err;

	for (size_t i = 0; i < MAX_CONNECTIONS; i++)
		m->conns[i].fd = -1;
	pthread_mutex_init(&m->lock, NULL);
	pthread_mutex_init(&m->conns_lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	err = -pthread_cond_init(&m->conns_changed, &attr);
	pthread_condattr_destroy(&attr);
	return err;
}

int rl_metrics_open(struct rl_metrics **out, const char *addr, const char *allow)
{
	struct rl_metrics *m = calloc(1, sizeof(*m));
	int err;

	*out = NULL;
	if (!m)
		return -ENOMEM;
	m->listener.fd = -1;
	err = init_conns(m);
	if (!err && allow &&
	    rl_metrics_parse_allow(allow, m->allow, RL_METRICS_MAX_ALLOW, &m->nr_allow)) {
		fprintf(stderr, "ringlua: --metrics-allow %s: not ADDR[/PREFIX][,...]\n", allow);
		err = -EINVAL;
	}
	if (!err)
		err = rl_metrics_listen(&m->listener, addr);
	if (!err)
		err = start_server(m);
	if (err) {
		rl_metrics_close(m);
		return err;
	}
	*out = m;
	return 0;
}

/* ringlua's own series, in the text format. */
static void write_own(FILE *f, const struct rl_metrics_own *o, const struct rl_metrics *m)
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
		   "ringlua_metrics_scrapes_total %llu\n",
		(unsigned long long)rl_metrics_scrapes(m));
	fprintf(f, "# HELP ringlua_metrics_connections_expired_total Connections closed at a "
		   "deadline: no request within %d s, or an answer not read within %d s.\n"
		   "# TYPE ringlua_metrics_connections_expired_total counter\n"
		   "ringlua_metrics_connections_expired_total %llu\n",
		REQUEST_DEADLINE_MS / 1000, RESPONSE_DEADLINE_MS / 1000,
		(unsigned long long)atomic_load(&m->expired));
	fprintf(f, "# HELP ringlua_metrics_connections_refused_total Connections from "
		   "clients outside --metrics-allow.\n"
		   "# TYPE ringlua_metrics_connections_refused_total counter\n"
		   "ringlua_metrics_connections_refused_total %llu\n",
		(unsigned long long)atomic_load(&m->refused));
}

int rl_metrics_publish(struct rl_metrics *m, const struct rl_metrics_own *own,
		       const char *agg_text, size_t agg_len)
{
	char *text = NULL, *old;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return -ENOMEM;
	write_own(f, own, m);
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
	else if (m->listener.fd >= 0)
		close(m->listener.fd);
	rl_metrics_listener_remove(&m->listener);
	if (m->reaper_started) {
		pthread_mutex_lock(&m->conns_lock);
		m->stopping = true;
		pthread_cond_signal(&m->conns_changed);
		pthread_mutex_unlock(&m->conns_lock);
		pthread_join(m->reaper, NULL);
	}
	pthread_cond_destroy(&m->conns_changed);
	pthread_mutex_destroy(&m->conns_lock);
	pthread_mutex_destroy(&m->lock);
	free(m->text);
	free(m);
}
