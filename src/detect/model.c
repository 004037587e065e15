/* detect/model.c — the model directory of DESIGN §8: cfg, weights, model.json. */
#include "dlld/detect.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MODEL_FORMAT "dlld-model"
#define MODEL_VERSION 1

void dlld_detect_thresholds_default(struct dlld_detect_thresholds *t)
{
	t->confidence = 0.05f;
	t->nms_iou = 0.45f;
	t->score = 0.0f;
}

void dlld_model_destroy(struct dlld_model *model)
{
	if (!model)
		return;
	dlld_net_destroy(model->net);
	free(model);
}

/* Fills *out with the number under key; DLLD_STATUS_MALFORMED naming it. */
static enum dlld_status json_number(const cJSON *obj, const char *key, double lo, double hi,
				    double *out, const char *path, struct dlld_error *err)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (!cJSON_IsNumber(item) || !(item->valuedouble >= lo && item->valuedouble <= hi))
		return dlld_error_set_where(err, DLLD_STATUS_MALFORMED, path, key, -1,
					    "missing, not a number or outside [%g, %g]", lo, hi);
	*out = item->valuedouble;
	return DLLD_STATUS_OK;
}

static enum dlld_status parse_input(const cJSON *root, const char *path,
				    struct dlld_input_spec *spec, struct dlld_error *err)
{
	const cJSON *in = cJSON_GetObjectItemCaseSensitive(root, "input");
	const cJSON *mode = cJSON_GetObjectItemCaseSensitive(in, "mode");
	const cJSON *windows = cJSON_GetObjectItemCaseSensitive(in, "windows");
	double size, channels, pixel;
	enum dlld_status st;
	int w = 0;

	if (!cJSON_IsObject(in))
		return dlld_error_set_where(err, DLLD_STATUS_MALFORMED, path, "input", -1,
					    "missing object");
	if ((st = json_number(in, "size", 8, 4096, &size, path, err)) ||
	    (st = json_number(in, "channels", 1, DLLD_MAX_CHANNELS, &channels, path, err)) ||
	    (st = json_number(in, "pixel_mm", 0.05, 20, &pixel, path, err)))
		return st;
	dlld_input_spec_default(spec);
	spec->size = (int)size;
	spec->channels = (int)channels;
	spec->pixel_mm = pixel;
	if (!cJSON_IsString(mode) || !dlld_channel_mode_parse(mode->valuestring, &spec->mode))
		return dlld_error_set_where(err, DLLD_STATUS_MALFORMED, path, "input.mode", -1,
					    "must be \"2.5d\" or \"windows\"");
	if (!cJSON_IsArray(windows) || cJSON_GetArraySize(windows) < 1 ||
	    cJSON_GetArraySize(windows) > DLLD_MAX_CHANNELS)
		return dlld_error_set_where(err, DLLD_STATUS_MALFORMED, path, "input.windows", -1,
					    "must list 1..%d windows", DLLD_MAX_CHANNELS);
	for (const cJSON *win = windows->child; win; win = win->next, w++) {
		double width, level;
		if ((st = json_number(win, "width", 1, 1e5, &width, path, err)) ||
		    (st = json_number(win, "level", -1e5, 1e5, &level, path, err)))
			return st;
		spec->window_width[w] = (float)width;
		spec->window_level[w] = (float)level;
	}
	return dlld_input_spec_check(spec, err) ? dlld_error_set_where(err, DLLD_STATUS_MALFORMED,
								       path, "input", -1,
								       "unusable input spec")
						: DLLD_STATUS_OK;
}

static enum dlld_status parse_model_json(const char *path, struct dlld_model *m,
					 struct dlld_error *err)
{
	char *text;
	size_t size;
	cJSON *root;
	const cJSON *classes, *thr, *name;
	enum dlld_status st = dlld_read_file(path, &text, &size, err);
	double conf, nms;
	int c = 0;

	if (st)
		return st;
	root = cJSON_ParseWithLength(text, size);
	free(text);
	if (!root)
		return dlld_error_set(err, DLLD_STATUS_MALFORMED, path, "not valid JSON");
	if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(root, "format")) ||
	    strcmp(cJSON_GetObjectItemCaseSensitive(root, "format")->valuestring, MODEL_FORMAT)) {
		st = dlld_error_set_where(err, DLLD_STATUS_MALFORMED, path, "format", -1,
					  "is not \"%s\"", MODEL_FORMAT);
		goto done;
	}
	classes = cJSON_GetObjectItemCaseSensitive(root, "classes");
	for (const cJSON *cl = cJSON_IsArray(classes) ? classes->child : NULL; cl; cl = cl->next, c++)
		if (c >= DLLD_LESION_CLASS_COUNT || !cJSON_IsString(cl) ||
		    strcmp(cl->valuestring, dlld_lesion_class_name((enum dlld_lesion_class)c)))
			break;
	if (c != DLLD_LESION_CLASS_COUNT || cJSON_GetArraySize(classes) != DLLD_LESION_CLASS_COUNT) {
		st = dlld_error_set_where(err, DLLD_STATUS_INCONSISTENT, path, "classes", -1,
					  "must be [\"metastasis\", \"cyst\", \"hemangioma\"]");
		goto done;
	}
	if ((st = parse_input(root, path, &m->spec, err)))
		goto done;
	thr = cJSON_GetObjectItemCaseSensitive(root, "thresholds");
	if ((st = json_number(thr, "confidence", 0, 1, &conf, path, err)) ||
	    (st = json_number(thr, "nms_iou", 0, 1, &nms, path, err)))
		goto done;
	m->thresholds.confidence = (float)conf;
	m->thresholds.nms_iou = (float)nms;
	m->thresholds.score = 0.0f;
	if (cJSON_GetObjectItemCaseSensitive(thr, "score")) { /* optional: older models lack it */
		double score;
		if ((st = json_number(thr, "score", 0, 100, &score, path, err)))
			goto done;
		m->thresholds.score = (float)score;
	}
	name = cJSON_GetObjectItemCaseSensitive(root, "name");
	snprintf(m->name, sizeof m->name, "%s", cJSON_IsString(name) ? name->valuestring : "");
done:
	cJSON_Delete(root);
	return st;
}

/* Fills m->yolo_layers and checks every head predicts the three classes. */
static enum dlld_status find_heads(struct dlld_model *m, const char *cfg, struct dlld_error *err)
{
	int n = dlld_net_layer_count(m->net);
	struct dlld_yolo_info info;

	m->n_yolo = 0;
	for (int i = 0; i < n; i++) {
		if (!dlld_net_yolo_info(m->net, i, &info))
			continue;
		if (info.classes != DLLD_LESION_CLASS_COUNT)
			return dlld_error_set(err, DLLD_STATUS_INCONSISTENT, cfg,
					      "yolo layer %d has classes=%d, the model needs %d", i,
					      info.classes, DLLD_LESION_CLASS_COUNT);
		if (m->n_yolo == (int)(sizeof m->yolo_layers / sizeof m->yolo_layers[0]))
			return dlld_error_set(err, DLLD_STATUS_INCONSISTENT, cfg, "too many yolo layers");
		m->yolo_layers[m->n_yolo++] = i;
	}
	if (!m->n_yolo)
		return dlld_error_set(err, DLLD_STATUS_INCONSISTENT, cfg, "no yolo layer");
	return DLLD_STATUS_OK;
}

enum dlld_status dlld_model_load(const char *dir, int batch, struct dlld_model **out,
				 struct dlld_error *err)
{
	struct dlld_model *m;
	char path[1100], cfg[1100];
	struct dlld_net_options no = {0};
	enum dlld_status st;

	*out = NULL;
	if (!dlld_path_is_dir(dir))
		return dlld_error_set(err, DLLD_STATUS_NOT_FOUND, dir, "model folder not found");
	m = dlld_calloc(1, sizeof *m, "model", err);
	if (!m)
		return DLLD_STATUS_NO_MEMORY;
	snprintf(m->dir, sizeof m->dir, "%s", dir);
	snprintf(path, sizeof path, "%s/model.json", dir);
	if ((st = parse_model_json(path, m, err)))
		goto fail;
	snprintf(cfg, sizeof cfg, "%s/net.cfg", dir);
	no.batch = batch > 0 ? batch : 1;
	no.width = no.height = m->spec.size;
	no.channels = m->spec.channels;
	if ((st = dlld_net_create_from_cfg(cfg, &no, &m->net, err)) ||
	    (st = find_heads(m, cfg, err)))
		goto fail;
	snprintf(path, sizeof path, "%s/weights", dir);
	if ((st = dlld_net_load_weights(m->net, path, 0, err)))
		goto fail;
	dlld_net_fold_batchnorm(m->net);
	*out = m;
	return DLLD_STATUS_OK;
fail:
	dlld_model_destroy(m);
	return st;
}

/* Returns x as the shortest double that prints like the float it came from
 * (0.05f is written 0.05, not 0.05000000074505806). */
static double tidy(float x)
{
	char buf[32];
	snprintf(buf, sizeof buf, "%.7g", (double)x);
	return strtod(buf, NULL);
}

static cJSON *input_json(const struct dlld_input_spec *spec)
{
	cJSON *in = cJSON_CreateObject(), *windows = cJSON_AddArrayToObject(in, "windows");
	int n_windows = spec->mode == DLLD_CHANNEL_MODE_25D ? 1 : spec->channels;

	cJSON_AddNumberToObject(in, "size", spec->size);
	cJSON_AddNumberToObject(in, "channels", spec->channels);
	cJSON_AddStringToObject(in, "mode", dlld_channel_mode_name(spec->mode));
	cJSON_AddNumberToObject(in, "pixel_mm", spec->pixel_mm);
	for (int w = 0; w < n_windows; w++) {
		cJSON *win = cJSON_CreateObject();
		cJSON_AddNumberToObject(win, "width", tidy(spec->window_width[w]));
		cJSON_AddNumberToObject(win, "level", tidy(spec->window_level[w]));
		cJSON_AddItemToArray(windows, win);
	}
	return in;
}

/* Adds key: the JSON object parsed from text (or null when text is NULL). */
static enum dlld_status add_raw(cJSON *root, const char *key, const char *text, const char *path,
				struct dlld_error *err)
{
	cJSON *item = text ? cJSON_Parse(text) : cJSON_CreateObject();
	if (!item)
		return dlld_error_set_where(err, DLLD_STATUS_USAGE, path, key, -1,
					    "is not valid JSON");
	cJSON_AddItemToObject(root, key, item);
	return DLLD_STATUS_OK;
}

enum dlld_status dlld_model_save(const char *dir, const char *cfg_text,
				 const struct dlld_network *net, const struct dlld_model_info *info,
				 struct dlld_error *err)
{
	char path[1100];
	cJSON *root, *classes, *thr;
	char *json = NULL;
	enum dlld_status st;

	if ((st = dlld_mkdir_p(dir, err)))
		return st;
	snprintf(path, sizeof path, "%s/net.cfg", dir);
	if ((st = dlld_write_file_atomic(path, cfg_text, strlen(cfg_text), err)))
		return st;
	snprintf(path, sizeof path, "%s/weights", dir);
	if ((st = dlld_net_save_weights(net, path, DLLD_WEIGHTS_FORMAT_DLLD, err)))
		return st;
	snprintf(path, sizeof path, "%s/model.json", dir);
	root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "format", MODEL_FORMAT);
	cJSON_AddNumberToObject(root, "version", MODEL_VERSION);
	cJSON_AddStringToObject(root, "name", info->name ? info->name : "");
	classes = cJSON_AddArrayToObject(root, "classes");
	for (int c = 0; c < DLLD_LESION_CLASS_COUNT; c++)
		cJSON_AddItemToArray(classes, cJSON_CreateString(
						      dlld_lesion_class_name((enum dlld_lesion_class)c)));
	cJSON_AddItemToObject(root, "input", input_json(info->spec));
	thr = cJSON_AddObjectToObject(root, "thresholds");
	cJSON_AddNumberToObject(thr, "confidence", tidy(info->thresholds->confidence));
	cJSON_AddNumberToObject(thr, "nms_iou", tidy(info->thresholds->nms_iou));
	cJSON_AddNumberToObject(thr, "score", tidy(info->thresholds->score));
	if (!(st = add_raw(root, "training", info->training_json, path, err)) &&
	    !(st = add_raw(root, "metrics", info->metrics_json, path, err))) {
		json = cJSON_Print(root);
		st = json ? dlld_write_file_atomic(path, json, strlen(json), err)
			  : dlld_error_set(err, DLLD_STATUS_NO_MEMORY, path, "cannot format JSON");
	}
	free(json);
	cJSON_Delete(root);
	return st;
}
