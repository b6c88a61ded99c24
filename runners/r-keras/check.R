# The Rosetta check of an R runner (runners/README.md, "The Rosetta check"), started by host.py --check:
#     Rscript runners/r-keras/check.R RUNNER --cell PATH|-
# As runners/lib/equivalence/sections.py does for a Python runner, it runs the runner's prelude and its
# first sections (Hyper-parameters, Data, Network and, in a training runner, Training step) with the
# cell as the runner's cell, the later sections blanked, then hands what they defined (model, data,
# param_count, backend, reset, train_step, ...) to equivalence.check as its namespace: R functions go
# as Python callables. Exit codes as `python -m equivalence`: 3 when the framework cannot be imported.

library(reticulate)
equivalence <- import("equivalence")  # first: it keeps the real stdout for the outcome, rosetta claims it
json <- import("json", convert = FALSE)
args <- commandArgs(trailingOnly = TRUE)  # RUNNER --cell PATH|-
runner <- args[1]
input <- file(if (args[3] == "-") "stdin" else args[3])
text <- paste(readLines(input, n = if (args[3] == "-") 1L else -1L), collapse = "\n")  # stdin: the spec's one line
close(input)
spec <- json$loads(text)
cell_file <- tempfile(fileext = ".json")
writeLines(text, cell_file)

# The sections, split at their banners as sections.py does: the banner's rows of 45 "#" around "#  Name  #".
source_lines <- readLines(runner)
banner <- strrep("#", 45L)
starts <- which(source_lines == banner & c(source_lines[-(1:2)], "", "") == banner)
sections <- sub("^#\\s+(.+?)\\s+#$", "\\1", source_lines[starts + 1L], perl = TRUE)
ends <- c(starts[-1] - 1L, length(source_lines))
keep <- rep(TRUE, length(source_lines))
for (k in seq_along(starts)) {
  if (!sections[k] %in% c("Hyper-parameters", "Data", "Network", "Training step")) keep[starts[k]:ends[k]] <- FALSE
}

namespace <- new.env(parent = globalenv())
namespace$commandArgs <- function(trailingOnly = FALSE) c("--cell", cell_file)  # the runner reads its cell from there
eval(parse(text = ifelse(keep, source_lines, ""), keep.source = FALSE), namespace)
rm("commandArgs", envir = namespace)

outcome <- tryCatch(
  equivalence$check(import("pathlib")$Path(runner), spec, namespace = r_to_py(as.list(namespace), convert = TRUE)),
  error = function(error) {
    if (!grepl("^(ImportError|ModuleNotFoundError)", conditionMessage(error))) stop(error)
    message(trimws(conditionMessage(error)))
    quit(status = 3)
  }
)
equivalence$emit(outcome)
