/* FNV-1a and tb_idxset (see hash.h). Linear probing: a lookup walks the
 * run of occupied slots from the hash's home slot, comparing stored hashes
 * first, so unequal keys cost one integer compare each. */
#include "hash.h"

#include <stdlib.h>

#include "error.h"

uint64_t tb_hash_bytes(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static void put(tb_idxset_slot *slots, size_t mask, uint64_t h, size_t idx1)
{
	size_t i = (size_t)h & mask;
	while (slots[i].idx1)
		i = (i + 1) & mask;
	slots[i].hash = h;
	slots[i].idx1 = idx1;
}

int tb_idxset_add(tb_idxset *s, uint64_t h, size_t idx)
{
	if (!s->slot || (s->count + 1) * 2 > s->mask + 1) {
		size_t cap = s->slot ? (s->mask + 1) * 2 : 16;
		tb_idxset_slot *slots = calloc(cap, sizeof *slots);
		if (!slots)
			return TB_ENOMEM;
		for (size_t i = 0; s->slot && i <= s->mask; i++)
			if (s->slot[i].idx1)
				put(slots, cap - 1, s->slot[i].hash, s->slot[i].idx1);
		free(s->slot);
		s->slot = slots;
		s->mask = cap - 1;
	}
	put(s->slot, s->mask, h, idx + 1);
	s->count++;
	return 0;
}

size_t tb_idxset_next(const tb_idxset *s, uint64_t h, size_t *pos)
{
	if (!s->slot)
		return 0;
	/* *pos counts the probes made so far from the home slot. */
	for (size_t i = ((size_t)h + *pos) & s->mask; s->slot[i].idx1; i = (i + 1) & s->mask) {
		++*pos;
		if (s->slot[i].hash == h)
			return s->slot[i].idx1;
	}
	return 0;
}

void tb_idxset_free(tb_idxset *s)
{
	free(s->slot);
	s->slot = NULL;
	s->mask = 0;
	s->count = 0;
}
