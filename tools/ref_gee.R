#!/usr/bin/Rscript
# tools/ref_gee.R — reference values for src/eval/gee.c from R geepack.
#
# Builds the test data sets (lesion detection and false-positive counts,
# patients as clusters, including the edge cases: a reader without marks, a
# perfect reader, separation, a group without observations, clusters of very
# different sizes, single-row clusters) and fits each with
#   geeglm(y ~ 1 or y ~ g, family = binomial or poisson, id = cluster,
#          corstr = "independence" or "exchangeable", std.err = "san.se")
# writing tests/eval/fixtures/gee_data.csv (the rows both sides fit) and
# tests/eval/fixtures/gee_expected.csv (coefficients, robust SE, Wald p,
# alpha, scale) with 17 significant digits.
#
# geese.control(epsilon = 1e-12, maxit = 200): geepack's default epsilon
# 1e-4 stops before convergence (β differs by ~1e-8); both sides report the
# converged estimator. Where geepack's answer is no estimate — all y equal,
# separation (|β| runs off: |β| > 12), an aliased (all-zero) column, or no
# convergence — the expected values are NA: DLLD reports NA there. The
# exchangeable alpha is NA when no cluster has two rows (geepack prints 0).
#
# Run from the repository root:  Rscript tools/ref_gee.R
suppressMessages(library(geepack))

out_dir <- "tests/eval/fixtures"
set.seed(20210301)

# Lesion detection: patients with 1..n_max lesions, a random patient effect,
# each lesion read by `readers` (g = 1 for the first, the algorithm).
lesion_reads <- function(patients, n_max, readers, b0, b_ai, sd_u, sizes = NULL) {
  if (is.null(sizes)) sizes <- sample(1:n_max, patients, replace = TRUE)
  rows <- list()
  for (i in seq_len(patients)) {
    u <- rnorm(1, 0, sd_u)
    for (l in seq_len(sizes[i])) for (r in seq_len(readers)) {
      g <- as.integer(r == 1)
      rows[[length(rows) + 1]] <- c(i, rbinom(1, 1, plogis(b0 + b_ai * g + u)), g)
    }
  }
  d <- as.data.frame(do.call(rbind, rows))
  names(d) <- c("cluster", "y", "g")
  d
}

# False positives per patient read: one row per (patient, reader).
fp_reads <- function(patients, readers, rate, ai_ratio, sd_u) {
  rows <- list()
  for (i in seq_len(patients)) {
    u <- rnorm(1, 0, sd_u)
    for (r in seq_len(readers)) {
      g <- as.integer(r == 1)
      rows[[length(rows) + 1]] <- c(i, rpois(1, rate * exp(u) * ai_ratio^g), g)
    }
  }
  d <- as.data.frame(do.call(rbind, rows))
  names(d) <- c("cluster", "y", "g")
  d
}

paper_fp <- c(rep(0, 41), rep(1, 6), rep(2, 16), rep(3, 14), rep(4, 7), 5)

datasets <- list(
  bin_compare = list(family = "binomial", d = lesion_reads(40, 5, 4, 0.8, 0.6, 1.0)),
  bin_sizes = list(family = "binomial",
                   d = lesion_reads(12, 0, 2, 0.3, -0.5, 0.8,
                                    sizes = c(1, 1, 1, 2, 2, 3, 5, 8, 12, 15, 1, 20))),
  bin_reader = list(family = "binomial", d = lesion_reads(30, 4, 1, 1.2, 0, 0.9)),
  bin_patient = list(family = "binomial",
                     d = data.frame(cluster = 1:40, y = c(rep(1, 35), rep(0, 5)), g = 0)),
  bin_no_marks = list(family = "binomial",
                      d = transform(lesion_reads(10, 3, 1, 0, 0, 0), y = 0)),
  bin_perfect = list(family = "binomial",
                     d = transform(lesion_reads(10, 3, 1, 0, 0, 0), y = 1)),
  bin_ai_perfect = list(family = "binomial",
                        d = transform(lesion_reads(15, 3, 3, 0.5, 0, 1),
                                      y = ifelse(g == 1, 1, y))),
  bin_no_group = list(family = "binomial",
                      d = transform(lesion_reads(15, 3, 2, 0.5, 0, 1), g = 0)),
  poi_compare = list(family = "poisson", d = fp_reads(85, 4, 1.2, 0.6, 0.5)),
  poi_paper = list(family = "poisson", d = data.frame(cluster = 1:85, y = paper_fp, g = 0)),
  poi_pooled = list(family = "poisson", d = transform(fp_reads(30, 3, 0.8, 1, 0.7), g = 0)),
  poi_ai_zero = list(family = "poisson",
                     d = transform(fp_reads(20, 3, 1, 1, 0.3), y = ifelse(g == 1, 0, y))),
  poi_no_fp = list(family = "poisson", d = transform(fp_reads(12, 2, 1, 1, 0), y = 0))
)

fmt <- function(v) ifelse(is.na(v), "NA", trimws(formatC(v, digits = 17, format = "g")))

fit_one <- function(d, family, design, corstr) {
  na <- list(defined = 0, beta = c(NA, NA), se = c(NA, NA), p = c(NA, NA),
             alpha = NA, phi = NA)
  fam <- if (family == "binomial") binomial() else poisson()
  form <- if (design == "intercept") y ~ 1 else y ~ g
  if (length(unique(d$y)) == 1) return(na)
  f <- NULL
  capture.output(f <- tryCatch(suppressWarnings(geeglm(form, family = fam, data = d, id = cluster,
                                        corstr = corstr, std.err = "san.se",
                                        control = geese.control(epsilon = 1e-12, maxit = 200))),
                error = function(e) NULL))
  if (is.null(f)) return(na)
  b <- coef(f)
  if (any(is.na(b)) || any(abs(b) > 12) || f$geese$error != 0) return(na)
  co <- summary(f)$coefficients
  k <- length(b)
  res <- list(defined = 1, beta = c(b, NA)[1:2], se = c(co[, "Std.err"], NA)[1:2],
              p = c(co[, "Pr(>|W|)"], NA)[1:2], alpha = NA, phi = unname(f$geese$gamma[1]))
  # With no cluster of two rows geepack prints alpha = 0 (it never updates
  # it); there is nothing to estimate it from, so DLLD reports NA.
  if (corstr == "exchangeable" && any(table(d$cluster) > 1))
    res$alpha <- unname(f$geese$alpha[1])
  res
}

data_rows <- c()
exp_rows <- c()
for (name in names(datasets)) {
  ds <- datasets[[name]]
  d <- ds$d[order(ds$d$cluster), ]
  data_rows <- c(data_rows, sprintf("%s,%d,%d,%d", name, as.integer(d$cluster),
                                    as.integer(d$y), as.integer(d$g)))
  for (design in c("intercept", "group")) {
    if (design == "group" && name %in% c("bin_reader", "bin_patient", "bin_no_marks",
                                         "bin_perfect", "poi_paper", "poi_pooled",
                                         "poi_no_fp")) next
    for (corstr in c("independence", "exchangeable")) {
      r <- fit_one(d, ds$family, design, corstr)
      exp_rows <- c(exp_rows, paste(name, ds$family, design, corstr, r$defined,
                                    fmt(r$beta[1]), fmt(r$se[1]), fmt(r$p[1]),
                                    fmt(r$beta[2]), fmt(r$se[2]), fmt(r$p[2]),
                                    fmt(r$alpha), fmt(r$phi), sep = ","))
    }
  }
}
writeLines(c("dataset,cluster,y,g", data_rows), file.path(out_dir, "gee_data.csv"))
writeLines(c(paste0("dataset,family,design,corstr,defined,beta0,se0,p0,beta1,se1,p1,",
                    "alpha,phi"), exp_rows),
           file.path(out_dir, "gee_expected.csv"))
cat(sprintf("wrote %d data rows, %d fits\n", length(data_rows), length(exp_rows)))
