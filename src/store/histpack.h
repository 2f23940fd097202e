/* Histograms packed for keeping: a [k, 3] tensor of float or double
 * (left, right, count) rows, stored in as few bytes as read back exactly.
 *
 * A stored histogram costs about a third of its tensor: each row's right
 * edge is usually the next row's left edge (k + 1 edges instead of 2k),
 * edges are floats when every one converts back unchanged, and counts are
 * 1-, 2- or 4-byte unsigned integers when every one is whole. Each choice
 * is made only when every value reads back bit for bit, so an unpacked
 * histogram equals the tensor that was packed. */
#ifndef TB_HISTPACK_H
#define TB_HISTPACK_H

#include <stddef.h>

#include "proto/tensor.h"

typedef struct tb_histpack tb_histpack;

/* The packed form of t (caller owns it, free()), or NULL when t is not a
 * [k >= 1, 3] float or double tensor or would not pack smaller. t is not
 * taken. */
tb_histpack *tb_histpack_new(const tb_tensor *t);

/* The packed form of the [k, 3] double histogram whose rows are
 * (edges[i], edges[i + 1], counts[i]), k >= 1, exactly as tb_histpack_new
 * packs that tensor (NULL when it would not pack smaller), without
 * building it. */
tb_histpack *tb_histpack_joined(const double *edges, const double *counts, size_t k);

/* The element count of p's tensor (3k). */
size_t tb_histpack_n(const tb_histpack *p);

/* Unpack p into *out, whose data points into *buf (grown to fit, *cap
 * bytes; the caller frees *buf). */
void tb_histpack_unpack(tb_tensor *out, uint8_t **buf, size_t *cap, const tb_histpack *p);

#endif
