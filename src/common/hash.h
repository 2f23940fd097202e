/* Hashing for in-memory lookup tables: FNV-1a over bytes, and tb_idxset, an
 * open-addressing table of indices into the caller's own array keyed by a
 * 64-bit hash. The caller keeps the items and decides equality; the set
 * only narrows a lookup to the entries with the same hash. Used by the
 * router, the writer's tag set, the custom scalars layout merge, the file
 * watcher and the store's series of a run.
 *
 * Lookups and inserts are O(1) expected; the table doubles at half full.
 * Allocation failure is reported (TB_ENOMEM), never fatal, so libtboard
 * uses it too. Not thread-safe: the owner serialises access. */
#ifndef TB_HASH_H
#define TB_HASH_H

#include <stddef.h>
#include <stdint.h>

/* FNV-1a's offset basis: the h to start tb_hash_bytes with. */
#define TB_HASH_SEED 0xcbf29ce484222325ULL

/* Continue FNV-1a hash h over the n bytes at p. */
uint64_t tb_hash_bytes(uint64_t h, const void *p, size_t n);

typedef struct tb_idxset_slot {
	uint64_t hash;
	size_t idx1; /* index + 1; 0 = empty */
} tb_idxset_slot;

typedef struct tb_idxset {
	tb_idxset_slot *slot;
	size_t mask; /* capacity - 1; capacity is a power of two */
	size_t count;
} tb_idxset;

#define TB_IDXSET_INIT                                                                             \
	{                                                                                          \
		NULL, 0, 0                                                                         \
	}

/* Add index idx under hash h (the same index may be added twice). Returns
 * 0 or TB_ENOMEM (s unchanged). */
int tb_idxset_add(tb_idxset *s, uint64_t h, size_t idx);

/* Walk the indices added under hash h: start with *pos = 0; each call
 * returns the next such index + 1, or 0 when there are no more. */
size_t tb_idxset_next(const tb_idxset *s, uint64_t h, size_t *pos);

/* Free the table; s becomes empty. */
void tb_idxset_free(tb_idxset *s);

#endif
