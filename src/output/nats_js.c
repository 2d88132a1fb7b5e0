#include "output/nats_js.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* JetStream's API: the streams whose subjects cover a subject. */
#define STREAM_NAMES_API "$JS.API.STREAM.NAMES"
/* Its answer lists them as "streams":["NAME",...] (null for none). */
#define STREAMS_FIELD "\"streams\":[\""
#define API_TIMEOUT_MS 2000
/* Publishes awaiting their acknowledgment, at most; past this a publish waits for acks
 * (libnats's stall), which bounds libnats's copies beside the publisher's queue. */
#define MAX_PENDING 32768
/* A round's acknowledgments are awaited this long; what has none by then is resent
 * (the server dedupes by message id within the stream's window, 2 minutes by default). */
#define ACK_TIMEOUT_MS 2000
/* Between resends, and between looks at a connection being re-established. */
#define RETRY_WAIT_MS 100
#define CONNECTED_POLL_MS 20
#define MAX_STREAM_NAME 256
#define MAX_MSG_ID 64

struct rl_nats_js {
	natsConnection *nc;
	jsCtx *ctx;
	struct rl_nats_js_hooks hooks;
	char subject[256];
	char stream[MAX_STREAM_NAME];	/* the named stream; "" when found */
	bool ready;			/* the stream is known to cover the subject */
	bool tried_settle;
	char run_id[32];		/* the first part of every message id */
	uint64_t next_id;
	bool sent_any;			/* libnats took a publish: it has a pending list */
	pthread_mutex_t lock;		/* guards retry: acks arrive on libnats's thread */
	natsMsg **retry;		/* no acknowledgment yet, to be resent */
	size_t nr_retry, cap_retry;
	atomic_flag said_refused;
};

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static bool giving_up(const struct rl_nats_js *js)
{
	return atomic_load(js->hooks.give_up);
}

/* Waits for the connection; false when giving up first. */
static bool wait_connected(const struct rl_nats_js *js)
{
	while (natsConnection_Status(js->nc) != NATS_CONN_STATUS_CONNECTED) {
		if (giving_up(js))
			return false;
		sleep_ms(CONNECTED_POLL_MS);
	}
	return true;
}

static void drop(struct rl_nats_js *js, natsMsg *msg)
{
	atomic_fetch_add(js->hooks.dropped, 1);
	natsMsg_Destroy(msg);
}

/* Keeps msg to be resent (its acknowledgment did not come). */
static void keep_for_retry(struct rl_nats_js *js, natsMsg *msg)
{
	pthread_mutex_lock(&js->lock);
	if (js->nr_retry == js->cap_retry) {
		size_t cap = js->cap_retry ? 2 * js->cap_retry : 1024;
		natsMsg **grown = realloc(js->retry, cap * sizeof(*grown));

		if (!grown) {
			pthread_mutex_unlock(&js->lock);
			drop(js, msg);
			return;
		}
		js->retry = grown;
		js->cap_retry = cap;
	}
	js->retry[js->nr_retry++] = msg;
	pthread_mutex_unlock(&js->lock);
}

/* Every publish libnats still awaits an acknowledgment for, into the retry list (a late
 * acknowledgment of one of them is then ignored by libnats: the resend's counts). */
static void take_pending(struct rl_nats_js *js)
{
	natsMsgList pending = { 0 };

	/* libnats 3.4 crashes here before its first asynchronous publish. */
	if (!js->sent_any || js_PublishAsyncGetPendingList(&pending, js->ctx) != NATS_OK)
		return;
	for (int i = 0; i < pending.Count; i++) {
		keep_for_retry(js, pending.Msgs[i]);
		pending.Msgs[i] = NULL;
	}
	natsMsgList_Destroy(&pending);
}

/* libnats's thread, once per publish: stored (or a duplicate of one stored), refused
 * by the stream, or no answer that says (a timeout, no responders while the server
 * recovers its streams): resent. */
static void on_ack(jsCtx *ctx, natsMsg *msg, jsPubAck *pa, jsPubAckErr *pae, void *closure)
{
	struct rl_nats_js *js = closure;

	(void)ctx;
	if (pa) {
		atomic_fetch_add(js->hooks.published, 1);
		natsMsg_Destroy(msg);
	} else if (pae->ErrCode) {
		if (!atomic_flag_test_and_set(&js->said_refused))
			fprintf(stderr, "ringlua: --output: the stream refused a message (%s); "
					"refused messages are counted as not published\n",
				pae->ErrText);
		drop(js, msg);
	} else {
		keep_for_retry(js, msg);
	}
}

/* Hands msg to libnats, waiting for the connection and for room among the pending
 * publishes; on giving up, or an error no retry mends, it is dropped. */
static void send_msg(struct rl_nats_js *js, natsMsg *msg)
{
	for (;;) {
		natsStatus s;

		if (!wait_connected(js))
			break;
		s = js_PublishMsgAsync(js->ctx, &msg, NULL);
		if (s == NATS_OK) {
			js->sent_any = true;
			return;
		}
		if (s == NATS_MAX_PAYLOAD || s == NATS_INVALID_ARG || s == NATS_NO_MEMORY ||
		    giving_up(js))
			break;
		if (s == NATS_TIMEOUT)
			/* Stalled at MAX_PENDING: those wait for acks that may have been lost
			 * with the connection; they are resent at the confirmation. */
			take_pending(js);
		else
			sleep_ms(RETRY_WAIT_MS);
	}
	drop(js, msg);
}

/* The stream covering the subject into name. Returns 0, -ENOENT for none, or
 * -EOPNOTSUPP when the server does not answer JetStream's API. */
static int find_stream(struct rl_nats_js *js, char *name, size_t size)
{
	char body[sizeof(js->subject) + 32];
	natsMsg *reply = NULL;
	const char *data, *at, *end;
	int err = -ENOENT;

	snprintf(body, sizeof(body), "{\"subject\":\"%s\"}", js->subject);
	if (natsConnection_RequestString(&reply, js->nc, STREAM_NAMES_API, body,
					 API_TIMEOUT_MS) != NATS_OK)
		return -EOPNOTSUPP;
	data = natsMsg_GetData(reply);
	if (!data || strstr(data, "\"error\""))
		err = -EOPNOTSUPP;
	else if ((at = strstr(data, STREAMS_FIELD)) && (at += strlen(STREAMS_FIELD)) &&
		 (end = strchr(at, '"')) && (size_t)(end - at) < size) {
		memcpy(name, at, (size_t)(end - at));
		name[end - at] = '\0';
		err = 0;
	}
	natsMsg_Destroy(reply);
	return err;
}

static int create_stream(struct rl_nats_js *js)
{
	const char *subjects[] = { js->subject };
	jsStreamConfig cfg;
	jsStreamInfo *si = NULL;
	jsErrCode jerr = 0;
	natsStatus s;

	jsStreamConfig_Init(&cfg);
	cfg.Name = js->stream;
	cfg.Subjects = subjects;
	cfg.SubjectsLen = 1;
	cfg.Storage = js_FileStorage;
	s = js_AddStream(&si, js->ctx, &cfg, NULL, &jerr);
	jsStreamInfo_Destroy(si);
	if (s == NATS_OK) {
		fprintf(stderr, "ringlua: --output: created JetStream stream %s for %s\n",
			js->stream, js->subject);
		return 0;
	}
	fprintf(stderr, "ringlua: --output: cannot create stream %s for %s: %s\n", js->stream,
		js->subject, jerr == JSStreamNameExistErr ?
		"a stream of that name exists with other subjects" : nats_GetLastError(NULL));
	return -EIO;
}

/* Finds the stream covering the subject (the named one, or created as that). Returns 0,
 * or -errno with one line printed; -EOPNOTSUPP (unprinted) for no JetStream and no stream
 * named, -ENOENT (unprinted) for no stream and none named. */
static int settle_stream(struct rl_nats_js *js)
{
	char found[MAX_STREAM_NAME];
	int err = find_stream(js, found, sizeof(found));

	if (err == -EOPNOTSUPP && js->stream[0])
		fprintf(stderr, "ringlua: --output: the server has no JetStream for stream=%s\n",
			js->stream);
	else if (err == -ENOENT && js->stream[0])
		err = create_stream(js);
	else if (!err && js->stream[0] && strcmp(found, js->stream)) {
		fprintf(stderr, "ringlua: --output: %s is stored by stream %s, not %s\n",
			js->subject, found, js->stream);
		err = -EINVAL;
	} else if (!err)
		fprintf(stderr, "ringlua: --output: JetStream stream %s stores %s; messages "
				"are acknowledged\n", found, js->subject);
	js->ready = !err;
	return err;
}

static natsStatus make_context(struct rl_nats_js *js)
{
	jsOptions jo;

	jsOptions_Init(&jo);
	jo.Wait = API_TIMEOUT_MS;
	jo.PublishAsync.MaxPending = MAX_PENDING;
	jo.PublishAsync.AckHandler = on_ack;
	jo.PublishAsync.AckHandlerClosure = js;
	return natsConnection_JetStream(&js->ctx, js->nc, &jo);
}

int rl_nats_js_open(struct rl_nats_js **out, natsConnection *nc, bool connected,
		    const char *subject, const char *stream, struct rl_nats_js_hooks hooks)
{
	struct rl_nats_js *js;
	int err = 0;

	*out = NULL;
	if (!connected && !(stream && stream[0]))
		return 0;
	js = calloc(1, sizeof(*js));
	if (!js)
		return -ENOMEM;
	js->nc = nc;
	js->hooks = hooks;
	snprintf(js->subject, sizeof(js->subject), "%s", subject);
	snprintf(js->stream, sizeof(js->stream), "%s", stream ? stream : "");
	/* Unique per run: a restarted ringlua's ids must not be taken for duplicates. */
	snprintf(js->run_id, sizeof(js->run_id), "%llx-%d",
		 (unsigned long long)time(NULL), (int)getpid());
	pthread_mutex_init(&js->lock, NULL);
	atomic_flag_clear(&js->said_refused);
	if (make_context(js) != NATS_OK) {
		fprintf(stderr, "ringlua: --output: JetStream: %s\n", nats_GetLastError(NULL));
		err = -ENOMEM;
	} else if (connected)
		err = settle_stream(js);
	if (err) {
		rl_nats_js_close(js);
		/* No JetStream, or no stream and none named: core NATS. */
		return (err == -EOPNOTSUPP || err == -ENOENT) && !(stream && stream[0]) ? 0 : err;
	}
	*out = js;
	return 0;
}

void rl_nats_js_publish(struct rl_nats_js *js, const char *data, uint32_t len)
{
	char id[MAX_MSG_ID];
	natsMsg *msg = NULL;

	/* Not connected at the start: the named stream is settled at the first connection,
	 * once; if it cannot be, every message is counted as not published. */
	if (!js->ready && !js->tried_settle && wait_connected(js)) {
		js->tried_settle = true;
		if (settle_stream(js))
			fprintf(stderr, "ringlua: --output: messages are counted as not "
					"published\n");
	}
	snprintf(id, sizeof(id), "%s-%" PRIu64, js->run_id, ++js->next_id);
	if (!js->ready || natsMsg_Create(&msg, js->subject, NULL, data, (int)len) != NATS_OK ||
	    natsMsgHeader_Set(msg, "Nats-Msg-Id", id) != NATS_OK) {
		drop(js, msg);
		return;
	}
	send_msg(js, msg);
}

/* The retry list, emptied: resent, or dropped when giving up. */
static void resend(struct rl_nats_js *js)
{
	natsMsg **msgs;
	size_t n;

	pthread_mutex_lock(&js->lock);
	msgs = js->retry;
	n = js->nr_retry;
	js->retry = NULL;
	js->nr_retry = js->cap_retry = 0;
	pthread_mutex_unlock(&js->lock);
	for (size_t i = 0; i < n; i++)
		if (giving_up(js))
			drop(js, msgs[i]);
		else
			send_msg(js, msgs[i]);
	free(msgs);
}

static size_t nr_retry(struct rl_nats_js *js)
{
	size_t n;

	pthread_mutex_lock(&js->lock);
	n = js->nr_retry;
	pthread_mutex_unlock(&js->lock);
	return n;
}

/* Waits up to ACK_TIMEOUT_MS for every acknowledgment handler libnats runs to return.
 * Returns false if one did not. */
static bool wait_acks(struct rl_nats_js *js)
{
	jsPubOptions po;

	jsPubOptions_Init(&po);
	po.MaxWait = ACK_TIMEOUT_MS;
	return js_PublishAsyncComplete(js->ctx, &po) == NATS_OK;
}

/* Takes every pending publish into the retry list and waits for the handlers already
 * running: libnats takes a message out of its pending list before it calls on_ack, so
 * such a message is in neither until on_ack has counted it or kept it for a retry.
 * Afterwards no handler runs again (a late acknowledgment finds nothing pending). */
static void take_all_pending(struct rl_nats_js *js)
{
	take_pending(js);
	if (js->sent_any && !wait_acks(js))
		fprintf(stderr, "ringlua: --output: an acknowledgment handler did not return\n");
}

void rl_nats_js_confirm(struct rl_nats_js *js)
{
	for (;;) {
		if (!wait_acks(js))
			take_all_pending(js);
		if (!nr_retry(js))
			return;
		if (!giving_up(js))
			sleep_ms(RETRY_WAIT_MS); /* a server recovering its streams */
		resend(js);
	}
}

void rl_nats_js_close(struct rl_nats_js *js)
{
	if (!js)
		return;
	if (js->ctx) {
		take_all_pending(js);
		jsCtx_Destroy(js->ctx);
	}
	for (size_t i = 0; i < js->nr_retry; i++)
		drop(js, js->retry[i]);
	free(js->retry);
	pthread_mutex_destroy(&js->lock);
	free(js);
}
