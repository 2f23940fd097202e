/* Insertion-ordered map (see omap.h). */
#include "omap.h"

#include <stdlib.h>

#include "common/alloc.h"

static size_t key_index(tb_prof_omap *o, uint64_t key)
{
	uint64_t h = tb_hash_bytes(TB_HASH_SEED, &key, sizeof key);
	size_t pos = 0, i1;
	while ((i1 = tb_idxset_next(&o->set, h, &pos)))
		if (o->keys[i1 - 1] == key)
			return i1 - 1;
	o->keys = tb_xgrow(o->keys, &o->cap_keys, o->n_keys + 1, sizeof *o->keys);
	o->cur = tb_xgrow(o->cur, &o->cap_cur, o->n_keys + 1, sizeof *o->cur);
	o->keys[o->n_keys] = key;
	o->cur[o->n_keys] = -1;
	if (tb_idxset_add(&o->set, h, o->n_keys) != 0)
		abort();
	return o->n_keys++;
}

int64_t tb_prof_omap_get(tb_prof_omap *o, uint64_t key)
{
	size_t k = key_index(o, key);
	return o->cur[k] < 0 ? TB_PROF_OMAP_NONE : o->slot_val[o->cur[k]];
}

void tb_prof_omap_set(tb_prof_omap *o, uint64_t key, int64_t val)
{
	size_t k = key_index(o, key);
	if (o->cur[k] < 0) {
		o->slot_val =
		    tb_xgrow(o->slot_val, &o->cap_slots, o->n_slots + 1, sizeof *o->slot_val);
		o->slot_key =
		    tb_xgrow(o->slot_key, &o->cap_slot_keys, o->n_slots + 1, sizeof *o->slot_key);
		o->slot_key[o->n_slots] = key;
		o->cur[k] = (int64_t)o->n_slots++;
	}
	o->slot_val[o->cur[k]] = val;
}

void tb_prof_omap_del(tb_prof_omap *o, uint64_t key)
{
	size_t k = key_index(o, key);
	if (o->cur[k] >= 0)
		o->slot_val[o->cur[k]] = TB_PROF_OMAP_NONE;
	o->cur[k] = -1;
}

void tb_prof_omap_free(tb_prof_omap *o)
{
	tb_idxset_free(&o->set);
	free(o->keys);
	free(o->cur);
	free(o->slot_val);
	free(o->slot_key);
}
