/* nats_sub: a NATS subscriber for test_nats.sh (Debian ships no NATS command line).
 *
 *   nats_sub URL SUBJECT [FILE]
 *
 * Subscribes, prints READY once the server has the subscription, and counts messages
 * until SIGINT or SIGTERM; then prints `received=R unique=U duplicates=D` (unique and
 * duplicates by the "seq" field of the JSON lines ringlua publishes) and exits. With
 * FILE, every message is also written to it, one a line.
 * It reconnects at once when the server goes away, so that after a restart it listens
 * again, mostly, before a publisher that waits longer does. */
#include <signal.h>
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

static void on_msg(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
	struct counts *c = closure;
	const char *data = natsMsg_GetData(msg);
	const char *at = strstr(data, "\"seq\":");
	unsigned long seq = at ? strtoul(at + 6, NULL, 10) : MAX_SEQ;

	(void)nc, (void)sub;
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
	natsMsg_Destroy(msg);
}

int main(int argc, char **argv)
{
	struct counts c = { .lock = PTHREAD_MUTEX_INITIALIZER };
	natsConnection *nc = NULL;
	natsSubscription *sub = NULL;
	natsOptions *opts = NULL;
	natsStatus s;

	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: nats_sub URL SUBJECT [FILE]\n");
		return 2;
	}
	c.save = argc == 4 ? fopen(argv[3], "w") : NULL;
	if (argc == 4 && !c.save) {
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
	pthread_mutex_lock(&c.lock);
	printf("received=%llu unique=%llu duplicates=%llu\n", (unsigned long long)c.received,
	       (unsigned long long)c.unique, (unsigned long long)c.duplicates);
	pthread_mutex_unlock(&c.lock);
	natsSubscription_Destroy(sub);
	natsConnection_Destroy(nc);
	natsOptions_Destroy(opts);
	free(c.seen);
	if (c.save)
		fclose(c.save);
	return 0;
}
