// Shortest round-trip digits of a double or a float, by Dragonbox
// (J. Jeon, "Dragonbox: A New Floating-Point Binary-to-Decimal Conversion
// Algorithm", 2020): one multiplication by a cached power of ten in the
// common case. A thin C entry to the header-only library; compiled
// without exceptions or RTTI, so C programs and libtboard need no C++
// runtime to link it.
#include "common/shortest.h"

#include <dragonbox/dragonbox.h>

namespace db = jkj::dragonbox;

uint64_t tb_shortest_double(double v, int *exp)
{
	auto d = db::to_decimal(v, db::policy::sign::ignore, db::policy::trailing_zero::ignore);
	*exp = d.exponent;
	return d.significand;
}

uint32_t tb_shortest_float(float v, int *exp)
{
	auto d = db::to_decimal(v, db::policy::sign::ignore, db::policy::trailing_zero::ignore);
	*exp = d.exponent;
	return d.significand;
}
