/* Kernel aggregations: ringlua.agg's count, sum, min, max, avg, hist and lhist updated by
 * the built-in programs in a map, from the fields of each record, instead of in Lua.
 * The host writes one spec per aggregation into `kagg_specs`; the programs apply every
 * spec to every record they make (source.bpf.h) and keep per-CPU entries in
 * `kagg_values`, which the host reads and sums. Fixed-width types only: this header is
 * read by the BPF programs, by C, and (preprocessed) by ffi.cdef. */
#ifndef RINGLUA_KAGG_H
#define RINGLUA_KAGG_H

/* Limits, as an enum so that ffi.cdef sees them too. */
enum kagg_limits {
	KAGG_SPECS = 8,		/* aggregations one script keeps */
	KAGG_SLOTS = 16,	/* of kagg_specs: a script's, and a reload's beside them
				 * until it is known to start */
	KAGG_PARTS = 4,		/* fields of a key, as ringlua.agg's tuples */
	KAGG_KEY_MAX = 32,	/* bytes of a key: its fields' sizes added up */
	KAGG_NAME_LEN = 32,	/* of an aggregation's name, kept for a reload to match */
	KAGG_ENTRIES = 16384,	/* entries (key and bucket) of all aggregations together */
	KAGG_RECORD_MAX = 2048,	/* a field ends within this many bytes of its record's start */
	KAGG_ANY_PROBE = -1,	/* as a __u32 probe: a spec for the records of every
				 * tracepoint probe, and of a built-in source */
	KAGG_CACHE_WAYS = 64,	/* entries of kagg_cache per slot of kagg_specs, per CPU
				 * (a power of two) */
	KAGG_CACHE_PROBES = 4,	/* of them a key may take: its hash's and the next */
	KAGG_EPOCHS = 2,	/* the programs write one epoch's entries while the host
				 * retires the other's into kagg_totals */
};

enum kagg_op {
	KAGG_NONE = 0,		/* a free slot */
	KAGG_COUNT = 1,
	KAGG_SUM = 2,
	KAGG_MIN = 3,
	KAGG_MAX = 4,
	KAGG_AVG = 5,
	KAGG_HIST = 6,		/* log2 buckets, as ringlua.agg.hist */
	KAGG_LHIST = 7,		/* linear buckets, as ringlua.agg.lhist */
};

/* A field of the record: integers are copied as they are (1, 2, 4 or 8 bytes), char
 * arrays up to their first NUL (the rest of their room stays zero), whole without one. */
struct kagg_field {
	__u16 offset;		/* in the record */
	__u16 size;
	__u16 pos;		/* in the key's bytes */
	__u8 text;		/* a char array */
	__u8 is_signed;		/* an integer to be sign-extended (the value) */
};

struct kagg_spec {
	__u32 op;		/* enum kagg_op */
	__u32 probe;		/* tracepoints: the probe whose records it takes, or
				 * KAGG_ANY_PROBE; built-in sources: KAGG_ANY_PROBE */
	__u32 nr_parts;		/* fields of the key, 0 to KAGG_PARTS */
	__u32 pad;
	struct kagg_field parts[KAGG_PARTS];
	struct kagg_field value; /* what sum, min, max, avg and the histograms take */
	__s64 lmin;		/* lhist: buckets of lstep from lmin to lmax */
	__s64 lmax;
	__s64 lstep;
	char name[KAGG_NAME_LEN]; /* the host's, to find it again after a reload */
};

/* An entry: which aggregation (its slot in kagg_specs; in kagg_values and kagg_cache
 * plus epoch * KAGG_SLOTS), which histogram bucket (0 for the other kinds), and the
 * key's fields. */
struct kagg_key {
	__u32 agg;
	__u32 bucket;
	__u8 bytes[KAGG_KEY_MAX];
};

/* One CPU's share of an entry; min and max mean something only where count > 0. */
struct kagg_value {
	__u64 count;
	__u64 sum;
	__u64 min;
	__u64 max;
};

/* The states of an entry of kagg_cache. */
enum kagg_cache_state {
	KAGG_CACHE_FREE = 0,
	KAGG_CACHE_CLAIMING = 1,	/* its key is being written: read as taken by another */
	KAGG_CACHE_HELD = 2,		/* it holds key's share on its CPU, until the host
					 * frees it (a clear, a dropped aggregation) */
};

/* An entry of kagg_cache: a key and its CPU's share, found without a hash lookup. */
struct kagg_cached {
	__u64 state;		/* enum kagg_cache_state (64 bits: what clang's BPF
				 * compare-and-swap takes) */
	struct kagg_key key;
	struct kagg_value value;
};

#endif
