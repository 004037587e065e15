/*
 * nn/cfg.h — darknet cfg files: [section] headers and key=value lines.
 *
 * As darknet reads them: all blanks inside a line are removed, lines whose
 * first character is '#' or ';' are comments, empty lines are skipped. Unlike
 * darknet, a duplicate key, a line without '=', a key outside any section,
 * an unknown key and a bad value are errors naming file:line.
 */
#ifndef DLLD_NN_CFG_H
#define DLLD_NN_CFG_H

#include "nn/layer.h"

struct dlld_cfg_entry {
	const char *key;
	const char *value;
	long line;
};

struct dlld_cfg_section {
	const char *name;
	long line;
	int n_entries;
	struct dlld_cfg_entry *entries;
};

struct dlld_cfg {
	int n_sections;
	struct dlld_cfg_section *sections;
	int n_entries;
	struct dlld_cfg_entry *entries; /* all sections' entries, in file order */
	char *text;   /* the stripped copy the names and values point into */
};

/* Parses text (`name` names it in messages). Returns new cfg in *out.
 * Borrows text. */
enum dlld_status dlld_cfg_parse(const char *name, const char *text, struct dlld_cfg **out,
				struct dlld_error *err);
void dlld_cfg_destroy(struct dlld_cfg *cfg); /* accepts NULL */

/* Stores every entry of `section` through the key table into `target`;
 * an unknown key or a bad value is DLLD_STATUS_MALFORMED at file:line. */
enum dlld_status dlld_cfg_apply(const char *file, const struct dlld_cfg_section *section,
				const struct dlld_cfg_key *keys, void *target,
				struct dlld_error *err);

#endif
