#!/usr/bin/Rscript
# tools/ref_eval_gee.R — end-to-end R geepack reference for `dlld eval`'s GEE
# numbers on whole studies (tests/eval/data/{eval-tiny,random}).
#
# Independently of the C code it applies the DESIGN §7 conventions to the four
# tables (highest rating per lesion, positive = rating >= threshold unless the
# `positive` column says otherwise), builds the long data — one row per
# (reader, lesion) with y = detected, one per (reader, patient) with y = false
# positives, patients as clusters — and fits
#   geeglm(y ~ 1 | y ~ ai, binomial | poisson, id = patient,
#          corstr = "independence" | "exchangeable")   (robust "san.se")
# for every reader, size subgroup, pooled group and algorithm-vs-group
# comparison. Writes tests/eval/data/gee_study_expected.csv
# (dataset,quantity,value; NA where geepack has no estimate: all y equal).
#
# Run from the repository root:  Rscript tools/ref_eval_gee.R
suppressMessages(library(geepack))

z <- qnorm(0.975)
ctl <- geese.control(epsilon = 1e-12, maxit = 200)

read_study <- function(dir) {
  rd <- function(f) read.csv(file.path(dir, f), colClasses = "character", na.strings = NULL)
  cases <- rd("cases.csv"); lesions <- rd("lesions.csv")
  readers <- rd("readers.csv"); marks <- rd("marks.csv")
  readers$threshold <- as.numeric(readers$threshold)
  marks$rating <- as.numeric(marks$rating)
  thr <- readers$threshold[match(marks$reader, readers$reader)]
  pos <- marks$rating >= thr
  if ("positive" %in% names(marks)) {
    given <- marks$positive != ""
    pos[given] <- marks$positive[given] == "1"
  }
  marks$pos <- pos
  list(cases = cases, lesions = lesions, readers = readers, marks = marks)
}

# detected[reader, lesion row]: positive flag of the highest-rated mark (ties: any)
detected <- function(s, reader) {
  m <- s$marks[s$marks$reader == reader & s$marks$lesion_id != "", ]
  sapply(seq_len(nrow(s$lesions)), function(i) {
    h <- m[m$patient_id == s$lesions$patient_id[i] & m$lesion_id == s$lesions$lesion_id[i], ]
    if (nrow(h) == 0) return(0L)
    as.integer(any(h$pos[h$rating == max(h$rating)]))
  })
}

false_positives <- function(s, reader) {
  m <- s$marks[s$marks$reader == reader & s$marks$lesion_id == "" & s$marks$pos, ]
  sapply(s$cases$patient_id, function(p) sum(m$patient_id == p))
}

patient_index <- function(s, ids) match(ids, s$cases$patient_id)

# per-patient outcomes of one reader: lesion-positive, any positive mark
patient_outcomes <- function(s, reader) {
  det <- detected(s, reader)
  fp <- false_positives(s, reader)
  les <- sapply(s$cases$patient_id, function(p) any(det[s$lesions$patient_id == p] == 1))
  list(sens = as.integer(les), any = as.integer(les | fp > 0))
}

# rows (reader, patient) of the diseased (sens, any) or normal (spec) patients
outcome_rows <- function(s, readers, what) {
  dis <- s$cases$diseased == "1"
  do.call(rbind, lapply(readers, function(r) {
    o <- patient_outcomes(s, r)
    y <- switch(what, sens = o$sens, any = o$any, spec = 1L - o$any)
    keep <- if (what == "spec") !dis else dis
    data.frame(id = which(keep), y = y[keep], ai = 0)
  }))
}

lesion_rows <- function(s, readers, ai, keep = rep(TRUE, nrow(s$lesions))) {
  do.call(rbind, lapply(seq_along(readers), function(i)
    data.frame(id = patient_index(s, s$lesions$patient_id)[keep],
               y = detected(s, readers[i])[keep], ai = ai[i])))
}

patient_rows <- function(s, readers, ai) {
  do.call(rbind, lapply(seq_along(readers), function(i)
    data.frame(id = seq_len(nrow(s$cases)), y = false_positives(s, readers[i]), ai = ai[i])))
}

fit <- function(d, formula, family, corstr) {
  d <- d[order(d$id), ]
  if (length(unique(d$y)) < 2) return(NULL)
  f <- geeglm(formula, family = family, data = d, id = id, corstr = corstr, control = ctl)
  cf <- summary(f)$coefficients
  list(beta = cf[, "Estimate"], se = cf[, "Std.err"], p = cf[, "Pr(>|W|)"],
       alpha = if (corstr == "exchangeable") summary(f)$corr$Estimate[1] else NA)
}

rows <- list()
emit <- function(ds, q, v) rows[[length(rows) + 1]] <<- data.frame(dataset = ds, quantity = q, value = v)

intercept_ci <- function(ds, key, d, family, inv) {
  f <- fit(d, y ~ 1, family, "independence")
  lo <- if (is.null(f)) NA else inv(f$beta[1] - z * f$se[1])
  hi <- if (is.null(f)) NA else inv(f$beta[1] + z * f$se[1])
  emit(ds, paste0(key, ":lo"), lo)
  emit(ds, paste0(key, ":hi"), hi)
}

compare <- function(ds, key, d, family) {
  for (cs in c("independence", "exchangeable")) {
    f <- fit(d, y ~ ai, family, cs)
    v <- if (is.null(f)) rep(NA, 5) else c(f$beta[2], f$se[2], f$p[2], f$beta[1], f$alpha)
    for (j in 1:5) emit(ds, paste(key, cs, c("beta_ai", "se_robust", "p_wald", "intercept", "alpha")[j], sep = ":"), v[j])
  }
}

for (ds in c("eval-tiny", "random")) {
  s <- read_study(file.path("tests/eval/data", ds))
  size <- as.numeric(s$lesions$diameter_mm)
  for (r in s$readers$reader) {
    intercept_ci(ds, paste0("reader:", r, ":lesion"), lesion_rows(s, r, 0), binomial, plogis)
    intercept_ci(ds, paste0("reader:", r, ":lt10"), lesion_rows(s, r, 0, size < 10), binomial, plogis)
    intercept_ci(ds, paste0("reader:", r, ":ge10"), lesion_rows(s, r, 0, size >= 10), binomial, plogis)
    intercept_ci(ds, paste0("reader:", r, ":fpp"), patient_rows(s, r, 0), poisson, exp)
  }
  groups <- unique(s$readers$group)
  for (g in groups) {
    rs <- s$readers$reader[s$readers$group == g]
    intercept_ci(ds, paste0("group:", g, ":lesion"), lesion_rows(s, rs, rep(0, length(rs))), binomial, plogis)
    intercept_ci(ds, paste0("group:", g, ":fpp"), patient_rows(s, rs, rep(0, length(rs))), poisson, exp)
    for (what in c("sens", "any", "spec"))
      intercept_ci(ds, paste0("group:", g, ":p", what), outcome_rows(s, rs, what), binomial, plogis)
  }
  ai <- s$readers$reader[s$readers$group == groups[1]]
  for (g in groups[-1]) {
    rs <- c(ai, s$readers$reader[s$readers$group == g])
    flag <- as.integer(rs %in% ai)
    compare(ds, paste0("cmp:", g, ":sens"), lesion_rows(s, rs, flag), binomial)
    compare(ds, paste0("cmp:", g, ":fpp"), patient_rows(s, rs, flag), poisson)
  }
}
out <- do.call(rbind, rows)
out$value <- ifelse(is.na(out$value), "NA", formatC(out$value, digits = 17, format = "g"))
write.csv(out, "tests/eval/data/gee_study_expected.csv", row.names = FALSE, quote = FALSE)
cat(nrow(out), "expected values\n")
