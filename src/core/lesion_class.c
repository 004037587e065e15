/* core/lesion_class.c — the names of the lesion classes. */
#include "dlld/core.h"

#include <assert.h>
#include <string.h>

static const char *const class_names[] = {
	[DLLD_LESION_CLASS_METASTASIS] = "metastasis",
	[DLLD_LESION_CLASS_CYST] = "cyst",
	[DLLD_LESION_CLASS_HEMANGIOMA] = "hemangioma",
};
static_assert(sizeof class_names / sizeof class_names[0] == DLLD_LESION_CLASS_COUNT,
	       "class_names must name every enum dlld_lesion_class");

const char *dlld_lesion_class_name(enum dlld_lesion_class cls)
{
	if ((unsigned)cls >= DLLD_LESION_CLASS_COUNT)
		return "unknown";
	return class_names[cls];
}

bool dlld_lesion_class_parse(const char *name, enum dlld_lesion_class *cls)
{
	for (int c = 0; c < DLLD_LESION_CLASS_COUNT; c++) {
		if (strcmp(name, class_names[c]) == 0) {
			*cls = (enum dlld_lesion_class)c;
			return true;
		}
	}
	return false;
}
