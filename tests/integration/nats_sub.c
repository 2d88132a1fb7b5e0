/* nats_sub: a NATS subscriber for test_nats.sh (Debian ships no NATS command line).
 *
 *   nats_sub URL SUBJECT [FILE]
 *   nats_sub URL --create STREAM SUBJECT MAX_MSGS
 *   nats_sub URL --read STREAM
 *
 * Subscribes, prints READY once the server has the subscription, and counts messages
 * until SIGINT or SIGTERM; then, once what the server sent before is counted, prints
 * `received=R unique=U duplicates=D` (unique and duplicates by the "seq" field of the
 * JSON lines ringlua publishes) and exits. With FILE, every message is also written to
 * it, one a line.
 * It reconnects at once when the server goes away, so that after a restart it listens
 * again, mostly, before a publisher that waits longer does.
 * --create makes a JetStream stream of SUBJECT that keeps at most MAX_MSGS messages and
 * refuses more (discard new). --read reads every message a stream holds, by sequence,
 * and prints the same counts. */
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <pthread.h>
#include <nats/nats.h>

/* Far shorter than ringlua's reconnect wait. */
#define RECONNECT_WAIT_MS 10
#define MAX_SEQ (1u << 24)
/* At exit, how long to wait for what the server has sent to be counted. */
#define SETTLE_MS 10000

static volatile sig_atomic_t exiting;

struct counts {
	pthread_mutex_t lock;
	uint64_t received, unique, duplicates;
	uint8_t *seen;		/* one byte per seq: bounded, the tests send far fewer */
	FILE *save;		/* NULL: counts only */
};

static void on_signal(int sig)
{
	(void)sig;
	exiting = 1;
}

static void count_msg(struct counts *c, const natsMsg *msg)
{
	const char *data = natsMsg_GetData(msg);
	const char *at = strstr(data, "\"seq\":");
	unsigned long seq = at ? strtoul(at + 6, NULL, 10) : MAX_SEQ;

	pthread_mutex_lock(&c->lock);
	c->received++;
	if (c->save)
		fprintf(c->save, "%.*s\n", natsMsg_GetDataLength(msg), data);
	if (seq < MAX_SEQ) {
		if (c->seen[seq]++)
			c->duplicates++;
		else
			c->unique++;
	}
	pthread_mutex_unlock(&c->lock);
}

static void on_msg(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
	(void)nc, (void)sub;
	count_msg(closure, msg);
	natsMsg_Destroy(msg);
}

static uint64_t received(struct counts *c)
{
	uint64_t n;

	pthread_mutex_lock(&c->lock);
	n = c->received;
	pthread_mutex_unlock(&c->lock);
	return n;
}

/* Until every message the server sent before a round trip has been counted: the PONG
 * follows them on the connection, and then they wait in the subscription's queue or are
 * in on_msg. Bounded by SETTLE_MS; a server gone is no reason to wait. */
static void settle(natsConnection *nc, natsSubscription *sub, struct counts *c)
{
	int64_t delivered = 0;
	int pending = 0;

	if (natsConnection_FlushTimeout(nc, SETTLE_MS) != NATS_OK)
		return;
	for (int waited = 0; waited < SETTLE_MS; waited += 10) {
		if (natsSubscription_GetPending(sub, &pending, NULL) != NATS_OK ||
		    natsSubscription_GetDelivered(sub, &delivered) != NATS_OK)
			return;
		if (!pending && received(c) == (uint64_t)delivered)
			return;
		usleep(10000);
	}
}

static void print_counts(struct counts *c)
{
	pthread_mutex_lock(&c->lock);
	printf("received=%llu unique=%llu duplicates=%llu\n", (unsigned long long)c->received,
	       (unsigned long long)c->unique, (unsigned long long)c->duplicates);
	pthread_mutex_unlock(&c->lock);
}

static natsStatus create_stream(jsCtx *js, const char *name, const char *subject,
				const char *max_msgs)
{
	const char *subjects[] = { subject };
	jsStreamConfig cfg;
	jsErrCode jerr = 0;

	jsStreamConfig_Init(&cfg);
	cfg.Name = name;
	cfg.Subjects = subjects;
	cfg.SubjectsLen = 1;
	cfg.MaxMsgs = strtoll(max_msgs, NULL, 10);
	cfg.Discard = js_DiscardNew;
	return js_AddStream(NULL, js, &cfg, NULL, &jerr);
}

/* Every message the stream holds, counted. */
static natsStatus read_stream(jsCtx *js, const char *name, struct counts *c)
{
	jsStreamInfo *si = NULL;
	jsErrCode jerr = 0;
	natsStatus s = js_GetStreamInfo(&si, js, name, NULL, &jerr);

	for (uint64_t seq = s == NATS_OK ? si->State.FirstSeq : 1;
	     s == NATS_OK && seq && seq <= si->State.LastSeq; seq++) {
		natsMsg *msg = NULL;

		s = js_GetMsg(&msg, js, name, seq, NULL, &jerr);
		if (s == NATS_OK)
			count_msg(c, msg);
		natsMsg_Destroy(msg);
	}
	jsStreamInfo_Destroy(si);
	return s;
}

/* --create and --read: one JetStream request, or a series. */
static int stream_command(natsConnection *nc, char **argv, struct counts *c)
{
	jsCtx *js = NULL;
	natsStatus s = natsConnection_JetStream(&js, nc, NULL);
	bool create = !strcmp(argv[2], "--create");

	if (s == NATS_OK)
		s = create ? create_stream(js, argv[3], argv[4], argv[5]) :
			     read_stream(js, argv[3], c);
	jsCtx_Destroy(js);
	if (s != NATS_OK) {
		fprintf(stderr, "nats_sub %s: %s\n", argv[2], nats_GetLastError(NULL));
		return 1;
	}
	if (!create)
		print_counts(c);
	return 0;
}

int main(int argc, char **argv)
{
	struct counts c = { .lock = PTHREAD_MUTEX_INITIALIZER };
	natsConnection *nc = NULL;
	natsSubscription *sub = NULL;
	natsOptions *opts = NULL;
	natsStatus s;

	bool stream_cmd = argc > 2 && argv[2][0] == '-';

	if ((argc != 3 && argc != 4 && !stream_cmd) ||
	    (stream_cmd && !(argc == 6 && !strcmp(argv[2], "--create")) &&
	     !(argc == 4 && !strcmp(argv[2], "--read")))) {
		fprintf(stderr, "usage: nats_sub URL SUBJECT [FILE]\n"
				"       nats_sub URL --create STREAM SUBJECT MAX_MSGS\n"
				"       nats_sub URL --read STREAM\n");
		return 2;
	}
	c.save = argc == 4 && !stream_cmd ? fopen(argv[3], "w") : NULL;
	if (argc == 4 && !stream_cmd && !c.save) {
		perror(argv[3]);
		return 1;
	}
	c.seen = calloc(MAX_SEQ, 1);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	s = natsOptions_Create(&opts);
	if (s == NATS_OK)
		s = natsOptions_SetURL(opts, argv[1]);
	if (s == NATS_OK)
		s = natsOptions_SetMaxReconnect(opts, -1);
	if (s == NATS_OK)
		s = natsOptions_SetReconnectWait(opts, RECONNECT_WAIT_MS);
	if (s == NATS_OK)
		s = natsOptions_SetReconnectJitter(opts, 0, 0); /* no random delay on top */
	/* Messages must not be dropped here for being many: no pending limit. */
	if (s == NATS_OK)
		s = natsConnection_Connect(&nc, opts);
	if (s == NATS_OK && c.seen && stream_cmd) {
		int status = stream_command(nc, argv, &c);

		natsConnection_Destroy(nc);
		natsOptions_Destroy(opts);
		free(c.seen);
		return status;
	}
	if (s == NATS_OK)
		s = natsConnection_Subscribe(&sub, nc, argv[2], on_msg, &c);
	if (s == NATS_OK)
		s = natsSubscription_SetPendingLimits(sub, -1, -1);
	if (s == NATS_OK)
		s = natsConnection_Flush(nc);
	if (s != NATS_OK || !c.seen) {
		fprintf(stderr, "nats_sub: %s\n", natsStatus_GetText(s));
		return 1;
	}
	printf("READY\n");
	fflush(stdout);
	while (!exiting)
		usleep(10000);
	settle(nc, sub, &c);
	print_counts(&c);
	natsSubscription_Destroy(sub);
	natsConnection_Destroy(nc);
	natsOptions_Destroy(opts);
	free(c.seen);
	if (c.save)
		fclose(c.save);
	return 0;
}
