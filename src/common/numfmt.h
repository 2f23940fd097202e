/* Numbers in decimal as Python spells them (common/numfmt.c). */
#ifndef TB_NUMFMT_H
#define TB_NUMFMT_H

#include <stddef.h>
#include <stdint.h>

/* Python repr() of a finite double into buf (at least 32 bytes): shortest
 * digits that read back to v, "1.0", "1e-05", "1e+16", "1443856985.705543".
 * Returns the length. Non-finite values give "nan", "inf", "-inf" (the CSV
 * spellings). */
size_t tb_fmt_double(char *buf, double v);
/* As tb_fmt_double, with the shortest digits that read back as the float v
 * (at most 9 significant): 0.1f is "0.1", not "0.10000000149011612". */
size_t tb_fmt_float(char *buf, float v);
/* Python repr() of the list [wall, step, value] for a finite wall and
 * value: "[1443856985.705543, 7, 0.25]" into buf (at least 96 bytes).
 * Returns the length. */
size_t tb_fmt_point(char *buf, double wall, int64_t step, double value);
/* v in decimal into buf (at least 21 bytes, no terminator); returns the
 * length. */
size_t tb_fmt_int(char *buf, int64_t v);

#endif
