/* cli/commands.c — the command table: one line per command, in pipeline order. */
#include "cli/cli.h"

const struct dlld_command dlld_commands[] = {
	{"info", "what a DICOM folder or NIfTI holds: series, geometry, HU range", dlld_cmd_info},
	{"convert", "CT study → NIfTI in HU and/or windowed PNG slices", dlld_cmd_convert},
	{"synth", "synthetic portal-venous CT cohort with ground truth", dlld_cmd_synth},
	{"net", "neural-network engine: cfg summary, forward pass, weights", dlld_cmd_net},
	{"train", "train the detector on cohorts, write a model directory", dlld_cmd_train},
	{"match", "detections or readers' marks → lesion marks (LL/NL) for dlld eval", dlld_cmd_match},
	{"detect", "CT studies -> liver lesions: CSV, JSON, overlays, liver mask", dlld_cmd_detect},
	{"fit-fp", "fit the learned false-positive model on a tuning cohort's detections", dlld_cmd_fit_fp},
	{"eval", "reader-study statistics: sensitivity, FPP, AFROC, bootstrap, GEE, kappa", dlld_cmd_eval},
	{"demo", "the whole study on a small synthetic cohort, into one folder", dlld_cmd_demo},
	{NULL, NULL, NULL},
};
