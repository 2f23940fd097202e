/* Lookup of embedded web assets (see assets.h). A handful of files, so a
 * linear scan is the whole index. */
#include "assets.h"

#include <string.h>

const tb_asset *tb_asset_find(const char *path)
{
	for (size_t i = 0; i < tb_assets_count; i++)
		if (tb_assets[i].path && strcmp(tb_assets[i].path, path) == 0)
			return &tb_assets[i];
	return NULL;
}
