/* nn/cfg.c — darknet cfg text → sections of key=value entries → structs. */
#include "nn/cfg.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* Removes every blank from s in place (darknet's strip()). */
static void strip_blanks(char *s)
{
	char *w = s;

	for (char *r = s; *r; r++)
		if (!isspace((unsigned char)*r))
			*w++ = *r;
	*w = '\0';
}

static size_t count_lines(const char *text)
{
	size_t n = 1;

	for (const char *p = text; *p; p++)
		n += *p == '\n';
	return n;
}

static enum dlld_status add_entry(struct dlld_cfg *cfg, const char *name, char *line, long lineno,
				  struct dlld_error *err)
{
	struct dlld_cfg_section *s;
	char *eq = strchr(line, '=');

	if (cfg->n_sections == 0)
		return dlld_error_set_line(err, DLLD_STATUS_MALFORMED, name, lineno,
					   "key outside any [section]");
	if (!eq || eq == line)
		return dlld_error_set_line(err, DLLD_STATUS_MALFORMED, name, lineno,
					   "expected key=value, got \"%s\"", line);
	*eq = '\0';
	s = &cfg->sections[cfg->n_sections - 1];
	for (int i = 0; i < s->n_entries; i++)
		if (strcmp(s->entries[i].key, line) == 0)
			return dlld_error_set_line(err, DLLD_STATUS_MALFORMED, name, lineno,
						   "duplicate key \"%s\" (first at line %ld)",
						   line, s->entries[i].line);
	cfg->entries[cfg->n_entries++] = (struct dlld_cfg_entry){line, eq + 1, lineno};
	s->n_entries++;
	return DLLD_STATUS_OK;
}

static enum dlld_status add_section(struct dlld_cfg *cfg, const char *name, char *line,
				    long lineno, struct dlld_error *err)
{
	size_t len = strlen(line);

	if (len < 3 || line[len - 1] != ']')
		return dlld_error_set_line(err, DLLD_STATUS_MALFORMED, name, lineno,
					   "bad section header \"%s\"", line);
	line[len - 1] = '\0';
	cfg->sections[cfg->n_sections++] =
		(struct dlld_cfg_section){line + 1, lineno, 0, cfg->entries + cfg->n_entries};
	return DLLD_STATUS_OK;
}

enum dlld_status dlld_cfg_parse(const char *name, const char *text, struct dlld_cfg **out,
				struct dlld_error *err)
{
	struct dlld_cfg *cfg = dlld_calloc(1, sizeof *cfg, "cfg", err);
	enum dlld_status st = DLLD_STATUS_NO_MEMORY;
	size_t n_lines = count_lines(text);
	long lineno = 0;
	char *line;

	*out = NULL;
	if (!cfg)
		return st;
	cfg->text = dlld_strdup(text, err);
	cfg->sections = dlld_calloc(n_lines, sizeof *cfg->sections, "cfg sections", err);
	cfg->entries = dlld_calloc(n_lines, sizeof *cfg->entries, "cfg entries", err);
	if (!cfg->text || !cfg->sections || !cfg->entries)
		goto fail;
	st = DLLD_STATUS_OK;
	line = cfg->text;
	if (strncmp(line, "\xEF\xBB\xBF", 3) == 0) /* a UTF-8 byte-order mark */
		line += 3;
	while (line && st == DLLD_STATUS_OK) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		lineno++;
		strip_blanks(line);
		if (line[0] == '[')
			st = add_section(cfg, name, line, lineno, err);
		else if (line[0] != '\0' && line[0] != '#' && line[0] != ';')
			st = add_entry(cfg, name, line, lineno, err);
		line = nl ? nl + 1 : NULL;
	}
	if (st == DLLD_STATUS_OK && cfg->n_sections == 0)
		st = dlld_error_set(err, DLLD_STATUS_MALFORMED, name, "no sections");
	if (st != DLLD_STATUS_OK)
		goto fail;
	*out = cfg;
	return st;
fail:
	dlld_cfg_destroy(cfg);
	return st;
}

void dlld_cfg_destroy(struct dlld_cfg *cfg)
{
	if (!cfg)
		return;
	free(cfg->entries);
	free(cfg->sections);
	free(cfg->text);
	free(cfg);
}

/* ---- values ----------------------------------------------------------------- */

static const char *const policy_names[DLLD_LR_POLICY_COUNT] = {
	[DLLD_LR_POLICY_CONSTANT] = "constant", [DLLD_LR_POLICY_STEP] = "step",
	[DLLD_LR_POLICY_STEPS] = "steps",       [DLLD_LR_POLICY_EXP] = "exp",
	[DLLD_LR_POLICY_POLY] = "poly",         [DLLD_LR_POLICY_SIG] = "sig",
	[DLLD_LR_POLICY_RANDOM] = "random",
};
_Static_assert(sizeof policy_names / sizeof policy_names[0] == DLLD_LR_POLICY_COUNT,
	       "policy names");

const char *dlld_lr_policy_name(enum dlld_lr_policy policy)
{
	return (unsigned)policy < DLLD_LR_POLICY_COUNT ? policy_names[policy] : "?";
}

static int find_name(const char *const *names, int n, const char *value)
{
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], value) == 0)
			return i;
	return -1;
}

static bool in_range(const struct dlld_cfg_key *key, double v)
{
	return v >= key->min && v <= key->max;
}

/* Parses one list element into slot i of the list at `base`. */
static bool store_element(const struct dlld_cfg_key *key, char *base, int i, const char *text)
{
	double d;
	long l;

	if (key->type == DLLD_CFG_TYPE_INT_LIST) {
		if (!dlld_parse_long(text, &l) || !in_range(key, (double)l))
			return false;
		((int *)(void *)base)[i] = (int)l;
		return true;
	}
	if (!dlld_parse_double(text, &d) || !in_range(key, d))
		return false;
	if (key->type == DLLD_CFG_TYPE_FLOAT_LIST)
		((float *)(void *)base)[i] = (float)d;
	else
		((double *)(void *)base)[i] = d;
	return true;
}

/* Parses "a,b,c" (an empty element, as in "1,,2", is an error). */
static bool store_list(const struct dlld_cfg_key *key, char *target, const char *value)
{
	char buf[1024], *p = buf;
	int n = 0;

	if (strlen(value) >= sizeof buf)
		return false;
	strcpy(buf, value);
	for (;;) {
		char *comma = strchr(p, ',');
		if (comma)
			*comma = '\0';
		if (n >= key->max_count || !store_element(key, target + key->offset, n, p))
			return false;
		n++;
		if (!comma)
			break;
		p = comma + 1;
	}
	*(int *)(void *)(target + key->count_offset) = n;
	return true;
}

static bool store_value(const struct dlld_cfg_key *key, char *target, const char *value)
{
	void *slot = target + key->offset;
	double d;
	long l;
	int i;

	switch (key->type) {
	case DLLD_CFG_TYPE_INT:
		if (!dlld_parse_long(value, &l) || !in_range(key, (double)l))
			return false;
		*(int *)slot = (int)l;
		return true;
	case DLLD_CFG_TYPE_DOUBLE:
		if (!dlld_parse_double(value, &d) || !in_range(key, d))
			return false;
		*(double *)slot = d;
		return true;
	case DLLD_CFG_TYPE_ACTIVATION:
		i = find_name(dlld_gemm_act_names, DLLD_GEMM_ACT_COUNT, value);
		if (i < 0)
			return false;
		*(enum dlld_gemm_act *)slot = (enum dlld_gemm_act)i;
		return true;
	case DLLD_CFG_TYPE_POLICY:
		i = find_name(policy_names, DLLD_LR_POLICY_COUNT, value);
		if (i < 0)
			return false;
		*(enum dlld_lr_policy *)slot = (enum dlld_lr_policy)i;
		return true;
	case DLLD_CFG_TYPE_INT_LIST:
	case DLLD_CFG_TYPE_DOUBLE_LIST:
	case DLLD_CFG_TYPE_FLOAT_LIST:
		return store_list(key, target, value);
	case DLLD_CFG_TYPE_COUNT:
		break;
	}
	return false;
}

static const char *type_hint(const struct dlld_cfg_key *key, char *buf, size_t size)
{
	switch (key->type) {
	case DLLD_CFG_TYPE_ACTIVATION:
		return "linear, leaky or logistic";
	case DLLD_CFG_TYPE_POLICY:
		return "constant, step, steps, exp, poly, sig or random";
	case DLLD_CFG_TYPE_INT_LIST:
	case DLLD_CFG_TYPE_DOUBLE_LIST:
	case DLLD_CFG_TYPE_FLOAT_LIST:
		snprintf(buf, size, "a list of at most %d numbers in [%g, %g]", key->max_count,
			 key->min, key->max);
		return buf;
	default:
		snprintf(buf, size, "%s in [%g, %g]",
			 key->type == DLLD_CFG_TYPE_INT ? "an integer" : "a number", key->min,
			 key->max);
		return buf;
	}
}

enum dlld_status dlld_cfg_apply(const char *file, const struct dlld_cfg_section *section,
				const struct dlld_cfg_key *keys, void *target,
				struct dlld_error *err)
{
	for (int e = 0; e < section->n_entries; e++) {
		const struct dlld_cfg_entry *entry = &section->entries[e];
		const struct dlld_cfg_key *key = keys;
		char hint[96];

		while (key->name && strcmp(key->name, entry->key) != 0)
			key++;
		if (!key->name)
			return dlld_error_set_line(err, DLLD_STATUS_MALFORMED, file, entry->line,
						   "unknown key \"%s\" in [%s]", entry->key,
						   section->name);
		if (!store_value(key, target, entry->value))
			return dlld_error_set_line(err, DLLD_STATUS_MALFORMED, file, entry->line,
						   "bad value \"%s\" for %s (expected %s)",
						   entry->value, key->name,
						   type_hint(key, hint, sizeof hint));
	}
	return DLLD_STATUS_OK;
}
