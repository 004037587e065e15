/*
 * bench/bench_nn_net.c — DLLD's network engine timed like the PyTorch peer
 * (bench/torch_darknet.py): forward ms/image at batch 1, or a training step
 * (forward + backward + SGD) at batch 8, on random weights.
 *
 *     bench_nn_net --cfg CFG --size 416 [--mode forward|train] [--reps 7]
 *                  [--threads 2] [--batch 8] [--pack]
 *
 * --pack keeps the folded weights also in the GEMM's packed layout
 * (dlld_net_pack_weights: faster, about the weights' size more memory).
 *
 * Prints one tab-separated line: mode, cfg name, size, batch, median ms per
 * call, ms per image, maxrss MiB, BFLOPs per image, achieved GFLOP/s (forward:
 * BFLOPs / time; train: 3 × forward BFLOPs / time, the usual estimate), the
 * bytes the network says it holds (MiB), and the mean CPU ms (all threads)
 * per call — steadier than wall time on a shared machine. Run one
 * configuration per process so maxrss is that configuration's peak.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "dlld/core.h"
#include "dlld/nn.h"

struct bench_opts {
	const char *cfg;
	int size, reps, threads, batch;
	bool train;
	bool pack; /* forward: weights packed once for the GEMM (dlld_net_pack_weights) */
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Returns the CPU seconds (user + system) of all threads so far. */
static double cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       1e-6 * (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

/* Fills every yolo layer's delta with small fixed values (the loss's job). */
static void fake_loss(struct dlld_network *net, struct dlld_rng *rng)
{
	for (int i = 0; i < dlld_net_layer_count(net); i++) {
		struct dlld_yolo_info info;
		struct dlld_shape shape;
		if (!dlld_net_yolo_info(net, i, &info))
			continue;
		float *delta = dlld_net_delta(net, i);
		dlld_net_output(net, i, &shape);
		for (size_t j = 0; delta && j < dlld_shape_count(shape); j++)
			delta[j] = (float)(1e-3 * (dlld_rng_uniform(rng) - 0.5));
	}
}

/* Runs one forward, or one training step; returns its seconds. */
static double step(struct dlld_network *net, struct dlld_pool *pool, const float *input,
		   const struct bench_opts *o, struct dlld_rng *rng)
{
	double t0 = now_s();
	dlld_net_forward(net, pool, input);
	if (o->train) {
		const struct dlld_sgd sgd = {.learning_rate = 1e-4, .momentum = 0.9,
					     .decay = 5e-4, .batch = o->batch};
		dlld_net_zero_deltas(net);
		fake_loss(net, rng);
		dlld_net_backward(net, pool, NULL);
		dlld_net_update(net, &sgd);
	}
	return now_s() - t0;
}

static int run(const struct bench_opts *o)
{
	struct dlld_net_options nopts = {.batch = o->train ? o->batch : 1, .width = o->size,
					 .height = o->size, .training = o->train};
	struct dlld_network *net = NULL;
	struct dlld_pool *pool = NULL;
	struct dlld_error err;
	struct dlld_rng rng;
	char msg[1600];
	float *input = NULL;
	double times[64];
	int reps = o->reps < 64 ? o->reps : 64;

	dlld_error_clear(&err);
	if (dlld_net_create_from_cfg(o->cfg, &nopts, &net, &err) != DLLD_STATUS_OK)
		goto fail;
	pool = dlld_pool_create(o->threads, &err);
	size_t n_in = dlld_shape_count(dlld_net_input_shape(net));
	input = pool ? dlld_calloc(n_in, sizeof *input, "input", &err) : NULL;
	if (!input)
		goto fail;
	dlld_net_init_weights(net, 1);
	if (o->train)
		dlld_net_set_train(net, true);
	else
		dlld_net_fold_batchnorm(net);
	if (o->pack && !o->train && dlld_net_pack_weights(net, &err) != DLLD_STATUS_OK)
		goto fail;
	dlld_rng_seed(&rng, 2);
	for (size_t i = 0; i < n_in; i++)
		input[i] = (float)dlld_rng_uniform(&rng);
	step(net, pool, input, o, &rng); /* warm-up: page in everything */
	double cpu0 = cpu_s();
	for (int r = 0; r < reps; r++)
		times[r] = step(net, pool, input, o, &rng);
	double cpu_ms = (cpu_s() - cpu0) / reps * 1e3;
	qsort(times, (size_t)reps, sizeof times[0], dlld_compare_double);
	double ms = times[reps / 2] * 1e3, bflops = dlld_net_bflops(net);
	int batch = nopts.batch;
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	const char *name = strrchr(o->cfg, '/') ? strrchr(o->cfg, '/') + 1 : o->cfg;
	printf("dlld-%s%s\t%.*s\t%d\t%d\t%.1f\t%.1f\t%.0f\t%.3f\t%.1f\t%.0f\t%.1f\n",
	       o->train ? "train" : "forward", o->pack ? "-packed" : "", (int)strcspn(name, "."), name, o->size, batch, ms,
	       ms / batch, (double)ru.ru_maxrss / 1024.0, bflops,
	       (o->train ? 3.0 : 1.0) * bflops * batch / (ms * 1e-3),
	       (double)dlld_net_peak_memory(net) / (1024.0 * 1024.0), cpu_ms);
	free(input);
	dlld_pool_destroy(pool);
	dlld_net_destroy(net);
	return 0;
fail:
	fprintf(stderr, "bench_nn_net: %s\n", dlld_error_format(&err, msg, sizeof msg));
	free(input);
	dlld_pool_destroy(pool);
	dlld_net_destroy(net);
	return (int)err.status;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"cfg", required_argument, NULL, 'c'},   {"size", required_argument, NULL, 's'},
		{"mode", required_argument, NULL, 'm'},  {"reps", required_argument, NULL, 'r'},
		{"threads", required_argument, NULL, 't'}, {"batch", required_argument, NULL, 'b'},
		{"pack", no_argument, NULL, 'p'},          {NULL, 0, NULL, 0},
	};
	struct bench_opts o = {.size = 416, .reps = 7, .threads = 2, .batch = 8};
	int c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o.cfg = optarg; break;
		case 's': o.size = atoi(optarg); break;
		case 'm': o.train = strcmp(optarg, "train") == 0; break;
		case 'r': o.reps = atoi(optarg); break;
		case 't': o.threads = atoi(optarg); break;
		case 'b': o.batch = atoi(optarg); break;
		case 'p': o.pack = true; break;
		default: return 1;
		}
	}
	if (!o.cfg || o.size < 32 || o.reps < 1 || o.threads < 1 || o.batch < 1) {
		fprintf(stderr, "usage: bench_nn_net --cfg CFG [--size N] [--mode forward|train] "
				"[--reps N] [--threads N] [--batch N] [--pack]\n");
		return 1;
	}
	return run(&o);
}
