#include "output/nats_out.h"

#include "output/metrics.h"
#include "output/nats_creds.h"
#include "output/nats_js.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <nats/nats.h>

#define NATS_SCHEME "nats://"
#define TLS_SCHEME "tls://"
/* A batch is handed over between ring batches, or once it holds this much. */
#define BATCH_BYTES (256u << 10)
/* What may wait for the publisher: past this the loop drops batches (and counts
 * them) rather than hold more memory or wait. */
#define QUEUE_BYTES (16u << 20)
/* NATS's default max_payload. */
#define MAX_MESSAGE_BYTES (1u << 20)
/* While disconnected, libnats keeps publishes in a buffer of this size and sends them on
 * reconnect; a publish that does not fit fails (and is counted). */
#define RECONNECT_BUF_BYTES (8 << 20)
/* Reconnect attempts never end (a daemon outlives a server's restart); this often. */
#define RECONNECT_WAIT_MS 250
/* A round of publishes is confirmed by a PING answered within this. */
#define CONFIRM_TIMEOUT_MS 2000
/* The drain at exit gives up after this; then the publisher stops waiting (JetStream's
 * acknowledgments, a connection) and counts what is left, which takes at most this. */
#define DRAIN_TIMEOUT_S 5
#define GIVE_UP_TIMEOUT_S 5
#define STREAM_QUERY "?stream="

/* One batch of messages, each a 4-byte length then its bytes. */
struct batch {
	char *data;
	size_t len, cap;
	uint64_t count;
	struct batch *next;
};

struct rl_nats_out {
	natsOptions *opts;
	natsConnection *nc;
	struct rl_nats_js *js;	/* NULL: core NATS */
	struct rl_nats_url url;
	struct batch *cur;	/* the loop thread's, being filled */
	pthread_mutex_t lock;	/* guards the queue, its size, busy and stopping */
	pthread_cond_t wake;	/* the publisher: something queued, or stop */
	pthread_cond_t idle;	/* the drain: the queue emptied */
	struct batch *head, *tail;
	size_t queued_bytes;
	bool busy;		/* the publisher is publishing a round */
	bool stopping;
	bool thread_started;
	pthread_t thread;
	_Atomic uint64_t published, dropped;
	atomic_bool give_up;	/* the drain's wait ran out */
};

static void free_batches(struct batch *b)
{
	while (b) {
		struct batch *next = b->next;

		free(b->data);
		free(b);
		b = next;
	}
}

/* Publishes every message of the list; returns how many libnats took for core NATS.
 * Those it refused are counted as dropped here (JetStream's counts are its own). */
static uint64_t publish_list(struct rl_nats_out *o, const struct batch *b)
{
	uint64_t taken = 0;

	for (; b; b = b->next)
		for (size_t at = 0; at < b->len;) {
			uint32_t len;

			memcpy(&len, b->data + at, sizeof(len));
			at += sizeof(len);
			if (o->js)
				rl_nats_js_publish(o->js, b->data + at, len);
			else if (natsConnection_Publish(o->nc, o->url.subject, b->data + at,
							(int)len) == NATS_OK)
				taken++;
			else
				atomic_fetch_add(&o->dropped, 1);
			at += len;
		}
	return taken;
}

/* The publisher: takes all that is queued, publishes it, and has the round confirmed:
 * JetStream's acknowledgments, or for core NATS a PING the server answers after it (an
 * unconfirmed round is counted as dropped). */
static void *publisher(void *arg)
{
	struct rl_nats_out *o = arg;

	pthread_mutex_lock(&o->lock);
	for (;;) {
		struct batch *list;
		size_t bytes;
		uint64_t taken;

		while (!o->head && !o->stopping)
			pthread_cond_wait(&o->wake, &o->lock);
		if (!o->head)
			break;
		list = o->head;
		bytes = o->queued_bytes;
		o->head = o->tail = NULL;
		o->busy = true;
		pthread_mutex_unlock(&o->lock);
		taken = publish_list(o, list);
		if (o->js)
			rl_nats_js_confirm(o->js);
		else if (natsConnection_FlushTimeout(o->nc, CONFIRM_TIMEOUT_MS) == NATS_OK)
			atomic_fetch_add(&o->published, taken);
		else
			atomic_fetch_add(&o->dropped, taken);
		free_batches(list);
		pthread_mutex_lock(&o->lock);
		o->queued_bytes -= bytes;
		o->busy = false;
		pthread_cond_broadcast(&o->idle);
	}
	pthread_mutex_unlock(&o->lock);
	return NULL;
}

/* A stream's name: letters, digits, '-' and '_' (JetStream allows more; these need no
 * quoting anywhere). */
static bool valid_stream_name(const char *name)
{
	return name[0] && strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				       "0123456789-_") == strlen(name);
}

/* The length of url's scheme (tls:// sets u->tls), or 0 for one that is not NATS's. */
static size_t scheme_len(const char *url, struct rl_nats_url *u)
{
	if (!strncmp(url, NATS_SCHEME, strlen(NATS_SCHEME)))
		return strlen(NATS_SCHEME);
	u->tls = !strncmp(url, TLS_SCHEME, strlen(TLS_SCHEME));
	return u->tls ? strlen(TLS_SCHEME) : 0;
}

/* u->server's [USER[:PASS]@]HOST:PORT: HOST into u->host, and whether credentials come
 * before it. Returns 0 or -EINVAL. */
static int split_server(struct rl_nats_url *u, size_t scheme)
{
	const char *authority = u->server + scheme, *at = strrchr(authority, '@');
	uint16_t port;

	u->userinfo = at != NULL;
	return rl_metrics_split_addr(at ? at + 1 : authority, u->host, sizeof(u->host), &port);
}

int rl_nats_out_parse_url(const char *url, struct rl_nats_url *u)
{
	const char *slash, *subject, *query;
	size_t subject_len, scheme;

	memset(u, 0, sizeof(*u));
	scheme = scheme_len(url, u);
	slash = scheme ? strchr(url + scheme, '/') : NULL;
	if (!slash || (size_t)(slash - url) >= sizeof(u->server))
		return -EINVAL;
	memcpy(u->server, url, (size_t)(slash - url));
	if (split_server(u, scheme))
		return -EINVAL;
	subject = slash + 1;
	query = strchr(subject, '?');
	subject_len = query ? (size_t)(query - subject) : strlen(subject);
	if (!subject_len || subject_len >= sizeof(u->subject) ||
	    strcspn(subject, " \t*>\"\\?") < subject_len)
		return -EINVAL;
	memcpy(u->subject, subject, subject_len);
	if (!query)
		return 0;
	if (strncmp(query, STREAM_QUERY, strlen(STREAM_QUERY)) ||
	    strlen(query + strlen(STREAM_QUERY)) >= sizeof(u->stream))
		return -EINVAL;
	strcpy(u->stream, query + strlen(STREAM_QUERY));
	return valid_stream_name(u->stream) ? 0 : -EINVAL;
}

const char *rl_nats_out_shown_url(const char *url, char *buf, size_t size)
{
	const char *host = strstr(url, "://"), *at;
	size_t authority;

	host = host ? host + 3 : url;
	authority = strcspn(host, "/");
	/* Userinfo ends at the last '@' before the path: a password may hold one. */
	at = memrchr(host, '@', authority);
	if (!at)
		snprintf(buf, size, "%s", url);
	else
		snprintf(buf, size, "%.*s***%s", (int)(host - url), url, at);
	return buf;
}

/* A connection made after ringlua started without one: said, as its absence was. */
static void on_late_connect(natsConnection *nc, void *closure)
{
	char url[256], shown[256];

	(void)closure;
	if (natsConnection_GetConnectedUrl(nc, url, sizeof(url)) == NATS_OK)
		fprintf(stderr, "ringlua: --output: connected to %s\n",
			rl_nats_out_shown_url(url, shown, sizeof(shown)));
}

/* The credentials of the file, if one was given, and TLS when the URL says tls://: the
 * server's certificate checked against the system's CAs (or those of SSL_CERT_FILE) and
 * against HOST. */
static natsStatus set_security(natsOptions *opts, const struct rl_nats_url *u,
			       const struct rl_nats_creds *creds)
{
	natsStatus s = NATS_OK;

	if (creds && creds->token)
		s = natsOptions_SetToken(opts, creds->token);
	else if (creds)
		s = natsOptions_SetUserInfo(opts, creds->user, creds->password);
	if (s == NATS_OK && u->tls)
		s = natsOptions_SetSecure(opts, true);
	if (s == NATS_OK && u->tls)
		s = natsOptions_SetExpectedHostname(opts, u->host);
	return s;
}

static natsStatus set_options(natsOptions *opts, const struct rl_nats_url *u,
			      const struct rl_nats_creds *creds)
{
	natsStatus s = natsOptions_SetURL(opts, u->server);

	if (s == NATS_OK)
		s = set_security(opts, u, creds);
	if (s == NATS_OK)
		s = natsOptions_SetMaxReconnect(opts, -1);
	if (s == NATS_OK)
		s = natsOptions_SetReconnectWait(opts, RECONNECT_WAIT_MS);
	if (s == NATS_OK)
		s = natsOptions_SetReconnectBufSize(opts, RECONNECT_BUF_BYTES);
	return s;
}

/* The first connection, made at once: a server that refuses the credentials or the TLS
 * handshake is a failure now, not a retry forever. Only one that does not answer at all
 * is tried again in the background (and said so by the caller). */
static natsStatus connect_first(struct rl_nats_out *o)
{
	natsStatus s = natsConnection_Connect(&o->nc, o->opts);

	if (s != NATS_NO_SERVER)
		return s;
	s = natsOptions_SetRetryOnFailedConnect(o->opts, true, on_late_connect, NULL);
	return s == NATS_OK ? natsConnection_Connect(&o->nc, o->opts) : s;
}

/* Connects and chooses JetStream or core NATS, with every signal blocked while libnats
 * starts its threads: stop and reload signals, and the watchdog's, must reach the loop's
 * thread. *js_err: JetStream's -errno (printed), 0 when it went well or was not asked. */
static natsStatus connect_blocked(struct rl_nats_out *o, const struct rl_nats_creds *creds,
				  int *js_err)
{
	struct rl_nats_js_hooks hooks = { &o->published, &o->dropped, &o->give_up };
	sigset_t all, old;
	natsStatus s;

	*js_err = 0;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	s = natsOptions_Create(&o->opts);
	if (s == NATS_OK)
		s = set_options(o->opts, &o->url, creds);
	if (s == NATS_OK)
		s = connect_first(o);
	if (s == NATS_OK || s == NATS_NOT_YET_CONNECTED)
		*js_err = rl_nats_js_open(&o->js, o->nc, s == NATS_OK, o->url.subject,
					  o->url.stream, hooks);
	if ((s == NATS_OK || s == NATS_NOT_YET_CONNECTED) && !*js_err &&
	    pthread_create(&o->thread, NULL, publisher, o) == 0)
		o->thread_started = true;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return s;
}

/* Why a connection failed, for one line: libnats's last error (the TLS handshake's
 * reason, the server's refusal) without the source position it starts with. */
static const char *failure_text(natsStatus s)
{
	const char *text = nats_GetLastError(NULL), *pos;

	if (!text || !text[0])
		return natsStatus_GetText(s);
	pos = text[0] == '(' ? strstr(text, "): ") : NULL;
	return pos ? pos + 3 : text;
}

/* The one line for an output that could not be opened (shown: its URL as printed). */
static void say_failure(const char *shown, natsStatus s)
{
	bool connected = s == NATS_OK || s == NATS_NOT_YET_CONNECTED;

	fprintf(stderr, "ringlua: --output %s: %s%s\n", shown,
		s == NATS_CONNECTION_AUTH_FAILED ? "the server refused the credentials: " : "",
		connected ? "cannot start the publisher" : failure_text(s));
}

int rl_nats_out_open(struct rl_nats_out **out, const char *url, const char *creds_path)
{
	char shown[512];
	struct rl_nats_out *o = calloc(1, sizeof(*o));
	struct rl_nats_creds creds = { 0 };
	natsStatus s;
	int js_err, err;

	*out = NULL;
	if (!o)
		return -ENOMEM;
	pthread_mutex_init(&o->lock, NULL);
	pthread_cond_init(&o->wake, NULL);
	pthread_cond_init(&o->idle, NULL);
	rl_nats_out_shown_url(url, shown, sizeof(shown));
	if (rl_nats_out_parse_url(url, &o->url)) {
		fprintf(stderr, "ringlua: --output %s: not nats://HOST:PORT/SUBJECT"
				"[?stream=NAME]\n", shown);
		rl_nats_out_close(o);
		return -EINVAL;
	}
	err = creds_path ? rl_nats_creds_read(creds_path, &creds) : 0;
	if (err) {
		rl_nats_out_close(o);
		return err;
	}
	/* libnats keeps its own copy of the credentials: ours go now. */
	s = connect_blocked(o, creds_path ? &creds : NULL, &js_err);
	rl_nats_creds_free(&creds);
	if (js_err) {
		rl_nats_out_close(o);
		return js_err;
	}
	if (s == NATS_NOT_YET_CONNECTED)
		fprintf(stderr, "ringlua: --output: %s is not answering yet; messages wait "
				"(up to %d MB) while ringlua keeps trying\n",
			rl_nats_out_shown_url(o->url.server, shown, sizeof(shown)),
			o->js ? QUEUE_BYTES >> 20 : RECONNECT_BUF_BYTES >> 20);
	if ((s != NATS_OK && s != NATS_NOT_YET_CONNECTED) || !o->thread_started) {
		say_failure(shown, s);
		rl_nats_out_close(o);
		return -EIO;
	}
	*out = o;
	return 0;
}

/* Room for n more bytes in the current batch. Returns 0 or -ENOMEM. */
static int reserve(struct rl_nats_out *o, size_t n)
{
	struct batch *b = o->cur;
	size_t cap;
	char *data;

	if (!b) {
		b = o->cur = calloc(1, sizeof(*b));
		if (!b)
			return -ENOMEM;
	}
	if (b->len + n <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 4096;
	while (cap < b->len + n)
		cap *= 2;
	data = realloc(b->data, cap);
	if (!data)
		return -ENOMEM;
	b->data = data;
	b->cap = cap;
	return 0;
}

int rl_nats_out_emit(void *ctx, const char *data, uint64_t len)
{
	struct rl_nats_out *o = ctx;
	uint32_t len32 = (uint32_t)len;
	int err;

	if (len > MAX_MESSAGE_BYTES) {
		atomic_fetch_add(&o->dropped, 1);
		return -E2BIG;
	}
	if (o->cur && o->cur->len + sizeof(len32) + len > BATCH_BYTES)
		rl_nats_out_flush(o);
	err = reserve(o, sizeof(len32) + len);
	if (err) {
		atomic_fetch_add(&o->dropped, 1);
		return err;
	}
	memcpy(o->cur->data + o->cur->len, &len32, sizeof(len32));
	memcpy(o->cur->data + o->cur->len + sizeof(len32), data, len);
	o->cur->len += sizeof(len32) + len;
	o->cur->count++;
	return 0;
}

void rl_nats_out_flush(struct rl_nats_out *o)
{
	struct batch *b = o ? o->cur : NULL;

	if (!b || !b->count)
		return;
	pthread_mutex_lock(&o->lock);
	if (o->queued_bytes + b->len > QUEUE_BYTES) {
		/* The publisher is behind: these go, and the batch is filled anew. */
		atomic_fetch_add(&o->dropped, b->count);
		b->len = 0;
		b->count = 0;
	} else {
		if (o->tail)
			o->tail->next = b;
		else
			o->head = b;
		o->tail = b;
		o->queued_bytes += b->len;
		o->cur = NULL;
		pthread_cond_signal(&o->wake);
	}
	pthread_mutex_unlock(&o->lock);
}

void rl_nats_out_drain(struct rl_nats_out *o)
{
	struct timespec until;

	if (!o || !o->thread_started)
		return;
	rl_nats_out_flush(o);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += DRAIN_TIMEOUT_S;
	pthread_mutex_lock(&o->lock);
	while ((o->head || o->busy) &&
	       pthread_cond_timedwait(&o->idle, &o->lock, &until) == 0)
		;
	if (o->head || o->busy) {
		atomic_store(&o->give_up, true);
		until.tv_sec += GIVE_UP_TIMEOUT_S;
		while ((o->head || o->busy) &&
		       pthread_cond_timedwait(&o->idle, &o->lock, &until) == 0)
			;
	}
	pthread_mutex_unlock(&o->lock);
}

void rl_nats_out_counts(const struct rl_nats_out *o, uint64_t *published, uint64_t *dropped)
{
	*published = atomic_load(&o->published);
	*dropped = atomic_load(&o->dropped);
}

void rl_nats_out_close(struct rl_nats_out *o)
{
	if (!o)
		return;
	rl_nats_out_drain(o);
	if (o->thread_started) {
		pthread_mutex_lock(&o->lock);
		o->stopping = true;
		pthread_cond_signal(&o->wake);
		pthread_mutex_unlock(&o->lock);
		pthread_join(o->thread, NULL);
	}
	rl_nats_js_close(o->js);
	natsConnection_Destroy(o->nc);
	natsOptions_Destroy(o->opts);
	/* No nats_Close: libnats frees messages on a collector thread that nats_Close stops
	 * at once, while a subscription's dispatcher may still be freeing the messages it
	 * held (late acknowledgments); those would go to a list nats_Close then forgets, a
	 * leak at every such exit. The library ends with the process. */
	free_batches(o->head);
	free_batches(o->cur);
	pthread_cond_destroy(&o->idle);
	pthread_cond_destroy(&o->wake);
	pthread_mutex_destroy(&o->lock);
	free(o);
}

static int hand_over(void *ctx, const struct rl_run_view *v)
{
	(void)v;
	rl_nats_out_flush(ctx);
	return 0;
}

static void counts(void *ctx, uint64_t *published, uint64_t *dropped)
{
	rl_nats_out_counts(ctx, published, dropped);
}

static void drain(void *ctx)
{
	rl_nats_out_drain(ctx);
}

const struct rl_output_ops rl_nats_out_ops = {
	.poll = hand_over,
	.counts = counts,
	.finish = drain,
};
