"""Arrow schemas of the run store's tables. The on-disk format is documented in docs/run-format.md.

Bump ``FORMAT_VERSION`` whenever a field changes meaning or is removed; adding a nullable field
at the end is compatible. Readers select columns by name, so the order is informative only.
"""

from __future__ import annotations

from typing import Final

import pyarrow as pa

FORMAT_NAME: Final = "boundary-run"
FORMAT_VERSION = 1

#: Verdict statuses. Only ``correct`` counts toward pass@k.
STATUSES = ("correct", "wrong", "no_answer", "truncated", "timeout", "error")

PROBLEMS = pa.schema([
    pa.field("benchmark", pa.string(), nullable=False),
    pa.field("problem_id", pa.string(), nullable=False),
    pa.field("question", pa.string()),
    pa.field("reference", pa.string()),
    pa.field("metadata", pa.string()),            # JSON object, benchmark-specific
])

SAMPLES = pa.schema([
    pa.field("model", pa.string(), nullable=False),
    pa.field("benchmark", pa.string(), nullable=False),
    pa.field("problem_id", pa.string(), nullable=False),
    pa.field("sample_index", pa.int32(), nullable=False),
    pa.field("text", pa.string()),
    pa.field("finish_reason", pa.string()),      # "stop" | "length" | null when unknown
    pa.field("prompt_tokens", pa.int32()),
    pa.field("completion_tokens", pa.int32()),
    pa.field("seed", pa.int64()),
    pa.field("logprobs", pa.list_(pa.float32())),   # per-token logprobs of the sampled tokens (optional)
    pa.field("logprob_sum", pa.float64()),            # their sum (optional; null when not recorded)
])

VERDICTS = pa.schema([
    pa.field("model", pa.string(), nullable=False),
    pa.field("benchmark", pa.string(), nullable=False),
    pa.field("problem_id", pa.string(), nullable=False),
    pa.field("sample_index", pa.int32(), nullable=False),
    pa.field("status", pa.string(), nullable=False),   # one of STATUSES
    pa.field("extracted", pa.string()),                 # the answer the verifier compared
    pa.field("path", pa.string()),                      # which check decided (e.g. "exact", "imported")
    pa.field("verifier", pa.string()),                  # verifier name and version
    pa.field("detail", pa.string()),                    # evidence: error text, first failing test, ...
])

#: Verdicts of further graders ("verdict sources") beside the run's primary verdicts: the same columns
#: as ``verdicts`` plus ``source``, the name a grader's verdicts go by (``boundary``, ``strict``, ...).
#: ``verdicts`` stays the one primary verdict per sample every reader counts; ``Run.counts(source=...)``
#: and the grader-sensitivity analysis read a source from here. One row per (source, sample key).
GRADES = pa.schema([*VERDICTS, pa.field("source", pa.string(), nullable=False)])

#: The name of the primary verdict source (the ``verdicts`` table).
PRIMARY = "primary"

#: Per-problem counts imported from elsewhere (no sample-level data).
COUNTS = pa.schema([
    pa.field("model", pa.string(), nullable=False),
    pa.field("benchmark", pa.string(), nullable=False),
    pa.field("problem_id", pa.string(), nullable=False),
    pa.field("n", pa.int64(), nullable=False),
    pa.field("correct", pa.int64(), nullable=False),
    pa.field("source", pa.string()),                    # import label: file name or run/seed label
])

#: Perplexity of stored samples under a scoring model: PPL_scorer(Y_model) per sample.
PERPLEXITY = pa.schema([
    pa.field("scorer", pa.string(), nullable=False),   # the model M whose probabilities are used
    pa.field("model", pa.string(), nullable=False),    # the model S that wrote the response
    pa.field("benchmark", pa.string(), nullable=False),
    pa.field("problem_id", pa.string(), nullable=False),
    pa.field("sample_index", pa.int32(), nullable=False),
    pa.field("tokens", pa.int32()),                     # response tokens scored (scorer's tokenizer)
    pa.field("nll", pa.float64()),                      # -sum log P_M(y_t | x, y_<t); null: not scored
    pa.field("ppl", pa.float64()),                      # exp(nll / tokens); null: not scored
    pa.field("engine", pa.string()),                    # scoring engine and version
    pa.field("detail", pa.string()),                    # why a sample was not scored (too long, empty)
])

#: LLM-judge labels of a correct sample's reasoning (CoT-pass@k counts only ``valid``).
JUDGE_LABELS = ("valid", "invalid", "unparsed")

JUDGMENTS = pa.schema([
    pa.field("judge", pa.string(), nullable=False),      # judge name and configuration fingerprint
    pa.field("model", pa.string(), nullable=False),      # the judged sample's key
    pa.field("benchmark", pa.string(), nullable=False),
    pa.field("problem_id", pa.string(), nullable=False),
    pa.field("sample_index", pa.int32(), nullable=False),
    pa.field("label", pa.string(), nullable=False),      # one of JUDGE_LABELS (aggregated over votes)
    pa.field("votes_valid", pa.int32()),
    pa.field("votes_invalid", pa.int32()),
    pa.field("votes_total", pa.int32()),
    pa.field("outputs", pa.list_(pa.string())),          # the judge's raw outputs, one per vote
])

TABLES: dict[str, pa.Schema] = {
    "problems": PROBLEMS,
    "samples": SAMPLES,
    "verdicts": VERDICTS,
    "grades": GRADES,
    "counts": COUNTS,
    "perplexity": PERPLEXITY,
    "judgments": JUDGMENTS,
}

#: The per-problem counts every analysis reads.
PROBLEM_COUNTS = pa.schema([
    pa.field("model", pa.string()),
    pa.field("benchmark", pa.string()),
    pa.field("problem_id", pa.string()),
    pa.field("n", pa.int64()),
    pa.field("correct", pa.int64()),
])
