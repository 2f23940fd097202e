/* Shortest round-trip decimal digits (common/shortest.cc), from the
 * Dragonbox library (Debian's libdragonbox-dev). */
#ifndef TB_SHORTEST_H
#define TB_SHORTEST_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* For finite v > 0: the fewest significant decimal digits d with d * 10^*exp
 * reading back as v, the closest to v among those, ties to even. d may end
 * in zeros (dropping them is left to the caller, who may find them
 * cheaper). */
uint64_t tb_shortest_double(double v, int *exp);
/* The same for a float: at most 9 digits. */
uint32_t tb_shortest_float(float v, int *exp);

#ifdef __cplusplus
}
#endif

#endif
