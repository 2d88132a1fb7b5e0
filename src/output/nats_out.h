/* --output nats://HOST:PORT/SUBJECT (tls://: over TLS): the lines the script emits
 * (ringlua.emit, or --json's), published to NATS. The loop thread only appends to a batch; between
 * batches the batch goes to a bounded queue that a publisher thread empties through
 * libnats, so a slow or absent server costs the loop no wait, only counted drops. */
#ifndef RINGLUA_NATS_OUT_H
#define RINGLUA_NATS_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "output/output.h"

struct rl_nats_out;

/* nats://HOST:PORT/SUBJECT[?stream=NAME] (or tls://...), taken apart. */
struct rl_nats_url {
	char server[256];	/* nats://HOST:PORT, with any USER:PASS@ before HOST */
	char host[256];		/* HOST alone: the name a TLS certificate must carry */
	char subject[256];
	char stream[256];	/* the JetStream stream named; "" for none */
	bool tls;		/* tls://: the server must speak TLS, its certificate checked */
	bool userinfo;		/* credentials in the URL (USER[:PASS]@) */
};

/* Splits url, checking the scheme, the subject (no spaces, wildcards, quotes or
 * backslashes) and the stream's name (letters, digits, '-' and '_'), not HOST:PORT.
 * Returns 0 or -EINVAL. */
int rl_nats_out_parse_url(const char *url, struct rl_nats_url *u);

/* url as ringlua prints it, into buf: a user and password in it ("nats://USER:PASS@...")
 * show as "***@", so that no message gives the credentials away. Returns buf. */
const char *rl_nats_out_shown_url(const char *url, char *buf, size_t size);

/* Connects to url's server (reconnecting whenever the connection is lost; a server not
 * up yet is retried, with a note on stderr) and starts the publisher: through JetStream
 * when a stream covers the subject or one is named (see nats_js.h), core NATS otherwise.
 * creds_path: a credentials file (see nats_creds.h), or NULL. A server that refuses the
 * credentials, or whose TLS certificate does not check out, is a failure, not a retry.
 * Returns 0, or -errno with one line printed. */
int rl_nats_out_open(struct rl_nats_out **out, const char *url, const char *creds_path);

/* Appends one message (ctx: the output) to the current batch. Called from Lua through
 * the FFI, once per message. Returns 0, or -E2BIG for a message larger than a NATS
 * message may be (counted as dropped). */
int rl_nats_out_emit(void *ctx, const char *data, uint64_t len);

/* Hands the current batch to the publisher; when the queue is full (the server is slower
 * than the ring) its messages are dropped and counted instead. Called between batches.
 * Accepts NULL. */
void rl_nats_out_flush(struct rl_nats_out *o);

/* Hands over the last batch and waits (at most a few seconds) until the publisher has
 * published everything queued; past that, what is still unconfirmed is counted as not
 * published. Then the counts are final. Accepts NULL. */
void rl_nats_out_drain(struct rl_nats_out *o);

/* Messages the server confirmed, and messages dropped. Core NATS: confirmed by a PING
 * answered after them; dropped: the queue full, a publish refused, or a round the server
 * did not confirm (it went away: some of those may still have arrived). JetStream:
 * confirmed by the stream's acknowledgment; dropped: the queue full, refused by the
 * stream, or unacknowledged when the drain gave up. */
void rl_nats_out_counts(const struct rl_nats_out *o, uint64_t *published,
			uint64_t *dropped);

/* Drains, disconnects and frees. Accepts NULL. */
void rl_nats_out_close(struct rl_nats_out *o);

/* --output as an output of the run (ctx: its struct rl_nats_out): what the batches
 * emitted goes to the publisher after every poll, the rest after on_exit, and its
 * counts are the summary's and --metrics'. */
extern const struct rl_output_ops rl_nats_out_ops;

#endif
