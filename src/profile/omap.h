/* An insertion-ordered map from a 64-bit key to a 64-bit value with
 * Python's dict semantics, for code that must walk entries in the order
 * the reference plugin's dictionaries keep: setting a present key keeps
 * its place, removing a key and setting it again moves it to the end.
 *
 * Keys are remembered once each (never removed), each with its current
 * slot; the live entries are the slots whose value is not removed, in
 * slot order. O(1) expected per operation; memory grows with distinct
 * keys plus insertions. Zero-initialise ({0}) to start; not thread-safe. */
#ifndef TB_PROF_OMAP_H
#define TB_PROF_OMAP_H

#include <stddef.h>
#include <stdint.h>

#include "common/hash.h"

/* The value of a removed slot (and of an absent key for get). */
#define TB_PROF_OMAP_NONE (-1)

typedef struct tb_prof_omap {
	tb_idxset set;
	uint64_t *keys;
	int64_t *cur; /* slot of keys[i], -1: absent */
	size_t n_keys, cap_keys, cap_cur;
	int64_t *slot_val;  /* slot -> value; TB_PROF_OMAP_NONE: removed */
	uint64_t *slot_key; /* slot -> its key */
	size_t n_slots, cap_slots, cap_slot_keys;
} tb_prof_omap;

/* The value under key, or TB_PROF_OMAP_NONE. */
int64_t tb_prof_omap_get(tb_prof_omap *o, uint64_t key);
/* Set key to val (val >= 0). */
void tb_prof_omap_set(tb_prof_omap *o, uint64_t key, int64_t val);
void tb_prof_omap_del(tb_prof_omap *o, uint64_t key);
void tb_prof_omap_free(tb_prof_omap *o);

#endif
