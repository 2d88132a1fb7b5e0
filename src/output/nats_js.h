/* JetStream for --output: acknowledged asynchronous publishing into a stream that covers
 * the subject. Each message carries a Nats-Msg-Id (the run's id and the message's
 * number), so what is resent because its acknowledgment did not come (the server went
 * away, or is still recovering its streams) is stored once: the server drops the
 * duplicate and acknowledges it. A message counts as published when acknowledged, as
 * dropped when the server refuses to store it (the stream full, say) or when ringlua
 * gives up at exit. Used by nats_out.c's publisher thread only. */
#ifndef RINGLUA_NATS_JS_H
#define RINGLUA_NATS_JS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <nats/nats.h>

struct rl_nats_js;

/* What the publisher shares with this layer: its counts, and the flag set when the drain
 * at exit gives up waiting (then no wait here lasts, and what is unacknowledged is
 * counted as dropped). */
struct rl_nats_js_hooks {
	_Atomic uint64_t *published, *dropped;
	const atomic_bool *give_up;
};

/* Decides whether --output uses JetStream. Connected: asks the server for a stream that
 * covers subject; with stream (a name; NULL or "" for none) that stream must be the one,
 * and is created (file storage, the server's default limits) when no stream covers the
 * subject. Not connected yet: JetStream when a stream is named (it is checked or created
 * at the first publish), core NATS otherwise. *js is NULL for core NATS (no JetStream on
 * the server, or no stream covers the subject and none is named). Call with every signal
 * blocked: libnats starts threads. Returns 0, or -errno with one line printed. */
int rl_nats_js_open(struct rl_nats_js **js, natsConnection *nc, bool connected,
		    const char *subject, const char *stream, struct rl_nats_js_hooks hooks);

/* Publishes one message with the next message id; it is counted when acknowledged or
 * refused. Waits while disconnected (until give_up). */
void rl_nats_js_publish(struct rl_nats_js *js, const char *data, uint32_t len);

/* Waits until every message published so far is acknowledged or counted as dropped,
 * resending those whose acknowledgment did not come (after a reconnect: the same ids). */
void rl_nats_js_confirm(struct rl_nats_js *js);

/* Counts what is still unacknowledged as dropped and frees. Accepts NULL. */
void rl_nats_js_close(struct rl_nats_js *js);

#endif
