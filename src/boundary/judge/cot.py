r"""CoT-pass@k: an LLM judge labels whether each correct sample's reasoning is valid.

Wen et al. (2025, arXiv 2506.14245 §3.1) count a sample only when its answer is correct **and**
its chain of thought is; per problem CoT-pass@k = 1 − C(n − d, k) / C(n, k) with d the number of
correct samples judged valid (the unbiased estimator of Chen et al. with c replaced by d).

``judge_run(run, judge_spec)`` (``boundary judge RUN``) sends every correct, not yet judged sample
to the judge model — any backend of ``boundary.sampling.backends`` — with the spec's prompt, and
stores one row per sample in the run's ``judgments`` table (atomic shards, resumable like every
stage). The judge's output must end with ``VERDICT: VALID`` or ``VERDICT: INVALID``; anything else
is labelled ``unparsed`` and never counts as valid. With ``votes > 1`` the votes are aggregated by
majority (strict: more than half of all votes valid), ``any`` or ``all``.

A judge is identified by ``<judge model name>#<fingerprint>`` (model, prompt, votes, decoding):
changing the prompt starts a new set of labels instead of mixing them with the old ones.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from boundary.errors import BoundaryError, StoreError
from boundary.store import Run

_VERDICT = re.compile(r"verdict\s*[:=\-]?\s*[*_`\"'(\[]*\s*(in)?valid\b", re.IGNORECASE)
_BOXED = re.compile(r"\\boxed\{\s*(in)?valid\s*\}", re.IGNORECASE)


def parse_verdict(text: str | None) -> str:
    """``valid``, ``invalid`` or ``unparsed`` from a judge's output (the last verdict counts).

    Examples:
        >>> parse_verdict("The steps hold.\\nVERDICT: VALID")
        'valid'
        >>> parse_verdict("Verdict: **Invalid** (step 3 divides by zero)")
        'invalid'
        >>> parse_verdict("VERDICT: VALID ... on reflection, VERDICT: INVALID")
        'invalid'
        >>> parse_verdict("looks fine to me")
        'unparsed'
    """
    if not text:
        return "unparsed"
    hits = [(m.start(), m.group(1)) for m in _VERDICT.finditer(text)]
    hits += [(m.start(), m.group(1)) for m in _BOXED.finditer(text)]
    if not hits:
        return "unparsed"
    return "invalid" if max(hits)[1] else "valid"


def aggregate(votes: Sequence[str], how: str = "majority") -> str:
    """One label from several votes. Unparsed votes never count as valid.

    Examples:
        >>> aggregate(["valid", "valid", "unparsed"])
        'valid'
        >>> aggregate(["valid", "unparsed"])          # no strict majority of valid votes
        'invalid'
        >>> aggregate(["unparsed", "unparsed"])
        'unparsed'
        >>> aggregate(["invalid", "valid"], "any")
        'valid'
    """
    v = sum(x == "valid" for x in votes)
    inv = sum(x == "invalid" for x in votes)
    t = len(votes)
    if v + inv == 0:
        return "unparsed"
    if how == "any":
        return "valid" if v else "invalid"
    if how == "all":
        return "valid" if v == t else "invalid"
    if how == "majority":
        return "valid" if 2 * v > t else "invalid"
    raise ValueError(f"unknown aggregate {how!r}; expected majority, any or all")


def judge_id(judge) -> str:
    """``<judge model name>#<fingerprint of model, prompt and decoding>``."""
    d = judge.model_dump(mode="json", exclude={"batch_samples"})
    return f"{judge.model.name}#{hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()[:12]}"


def _cut(text: str, limit: int | None) -> str:
    if limit is None or len(text) <= limit:
        return text
    head = (limit * 2) // 3
    return f"{text[:head]}\n[... {len(text) - limit} characters omitted ...]\n{text[-(limit - head):]}"


def render_judge_prompt(prompt: str, *, question: str, reference: str | None, answer: str | None,
                        response: str, max_response_chars: int | None = None) -> str:
    """The judge's input: placeholders replaced literally (texts may hold braces)."""
    values = {"{question}": question or "", "{reference}": reference or "", "{answer}": answer or "",
              "{response}": _cut(response or "", max_response_chars)}
    # one pass, so a response that contains "{question}" is not substituted again
    pattern = re.compile("|".join(re.escape(k) for k in values))
    return pattern.sub(lambda m: values[m.group(0)], prompt)


@dataclass(frozen=True)
class JudgeSummary:
    run: str
    judge: str
    judged: int
    """Samples judged by this call."""
    skipped: int
    """Correct samples that already had a label from this judge."""
    labels: dict[str, int] = field(default_factory=dict)


def judge_run(run: Run | str, judge, *, models: Sequence[str] | None = None, backend=None,
              progress: Callable[[int], None] | None = None) -> JudgeSummary:
    """Judge the reasoning of every correct sample that this judge has not labelled yet.

    Args:
        judge: a ``boundary.spec.JudgeSpec``.
        models: judge only these models' samples (default: all).
        backend: an already-built engine for the judge model (tests; reusing an engine).
    """
    from boundary.sampling.backends import create_backend
    from boundary.sampling.seeds import derive_seed
    from boundary.sampling.types import ChunkRequest, SamplingParams
    from boundary.verify.stage import problem_index

    run = run if isinstance(run, Run) else Run(run)
    run.remove_stale_temporaries()
    jid = judge_id(judge)
    v = run.verdicts(["model", "benchmark", "problem_id", "sample_index", "status", "extracted"])
    if not v.num_rows:
        raise BoundaryError(f"{run.path} has no verdicts: verify the samples first (`boundary verify`); "
                            "only samples with a correct answer are judged.")
    v = v.filter(pc.equal(v["status"], "correct"))
    if models:
        unknown = set(models) - set(run.models)
        if unknown:
            raise BoundaryError(f"models {sorted(unknown)} are not in {run.path}; models: {run.models}.")
        v = v.filter(pc.is_in(v["model"], pa.array(list(models))))
    correct = {(m, b, p, i): ex for m, b, p, i, _s, ex in zip(*(v[c].to_pylist() for c in v.column_names))}
    done = set()
    if run.shards("judgments"):
        t = run.read("judgments", ["judge", "model", "benchmark", "problem_id", "sample_index"],
                     filter=pc.field("judge") == jid)
        done = set(zip(*(t[c].to_pylist() for c in ["model", "benchmark", "problem_id", "sample_index"])))
    todo = {k: ex for k, ex in correct.items() if k not in done}
    skipped = len(correct) - len(todo)
    labels: dict[str, int] = {}
    if not todo:
        _record(run, judge, jid, None)
        return JudgeSummary(run=str(run.path), judge=jid, judged=0, skipped=skipped)

    problems = problem_index(run)
    template = None
    if judge.chat and not (judge.model.backend == "openai" and judge.model.api == "chat"):
        from boundary.prompts.templates import make_template
        template = make_template({"chat": True, "tokenizer": judge.model.path})
    server_chat = judge.model.backend == "openai" and judge.model.api == "chat"
    params = SamplingParams(temperature=judge.temperature, top_p=judge.top_p, max_tokens=judge.max_tokens)
    own = backend is None
    engine = create_backend(judge.model) if own else backend
    judged = 0
    try:
        _record(run, judge, jid, engine)
        batch: list = []

        def flush():
            nonlocal judged
            if not batch:
                return
            keys = {r.chunk_index: k for r, k in batch}
            rows = []
            try:
                for req, completions in engine.generate([r for r, _ in batch], params):
                    if len(completions) != req.n:
                        raise BoundaryError(f"judge backend {engine.name} returned {len(completions)} outputs "
                                            f"for {req.n} votes; refusing to store them.")
                    m, b, p, i = keys[req.chunk_index]
                    outs = [c.text for c in completions]
                    votes = [parse_verdict(o) for o in outs]
                    label = aggregate(votes, judge.aggregate)
                    labels[label] = labels.get(label, 0) + 1
                    rows.append({"judge": jid, "model": m, "benchmark": b, "problem_id": p, "sample_index": i,
                                 "label": label, "votes_valid": votes.count("valid"),
                                 "votes_invalid": votes.count("invalid"), "votes_total": len(votes),
                                 "outputs": outs})
            finally:
                if rows:          # keep what completed, even when the engine fails midway
                    run.write("judgments", pa.Table.from_pylist(rows))
                    judged += len(rows)
                    if progress:
                        progress(len(rows))
            batch.clear()

        for shard in run.shards("samples"):
            f = pq.ParquetFile(shard)
            for rb in f.iter_batches(batch_size=2048,
                                     columns=["model", "benchmark", "problem_id", "sample_index", "text"]):
                d = rb.to_pydict()
                for m, b, p, i, text in zip(d["model"], d["benchmark"], d["problem_id"], d["sample_index"], d["text"]):
                    key = (m, b, p, i)
                    if key not in todo:
                        continue
                    ex = todo.pop(key)
                    pr = problems.get((b, p))
                    ref, question = (pr.reference, pr.question) if pr is not None else (None, "")
                    prompt = render_judge_prompt(judge.prompt, question=question, reference=ref, answer=ex,
                                                 response=text or "", max_response_chars=judge.max_response_chars)
                    if template is not None:
                        prompt = template.render(prompt)
                    req = ChunkRequest(benchmark=b, problem_id=p, chunk_index=len(batch), first_index=0,
                                       n=judge.votes,
                                       seed=derive_seed(judge.seed, f"judge:{jid}:{m}", b, p, int(i)),
                                       prompt="" if server_chat else prompt,
                                       messages=(("user", prompt),) if server_chat else None)
                    batch.append((req, key))
                    if len(batch) >= judge.batch_samples:
                        flush()
        flush()
    finally:
        if own:
            engine.close()
    if todo:
        raise StoreError(f"{run.path}: {len(todo)} correct verdicts have no sample text (e.g. "
                         f"{next(iter(todo))}); the judge needs the texts.")
    run.mark_stage("judge", judge=jid, judged=judged)
    return JudgeSummary(run=str(run.path), judge=jid, judged=judged, skipped=skipped, labels=labels)


def _record(run: Run, judge, jid: str, engine) -> None:
    def change(m):
        rec = m.setdefault("judges", {}).setdefault(jid, {})
        rec["spec"] = judge.model_dump(mode="json")
        if engine is not None:
            rec["engine"] = engine.info()
    run.update_manifest(change)


# ---------------------------------------------------------------------------------------- reading
def judges(run: Run) -> list[str]:
    """Judge ids with labels in the run, in the order they were first recorded."""
    recorded = list(run.manifest.get("judges", {}))
    if not run.shards("judgments"):
        return []
    present = set(run.read("judgments", ["judge"])["judge"].unique().to_pylist())
    return [j for j in recorded if j in present] + sorted(present - set(recorded))


def judgment_labels(run: Run, judge: str | None = None) -> pa.Table | None:
    """(model, benchmark, problem_id, sample_index, label) of one judge (default: the latest), or None."""
    ids = judges(run)
    if not ids:
        return None
    jid = judge or ids[-1]
    if jid not in ids:
        raise BoundaryError(f"{run.path} has no judgments of {jid!r}; judges: {ids}.")
    t = run.read("judgments", ["judge", "model", "benchmark", "problem_id", "sample_index", "label"],
                 filter=pc.field("judge") == jid)
    return t.drop_columns(["judge"])


@dataclass(frozen=True)
class CotPassRow:
    benchmark: str
    model: str
    judge: str
    problems: int
    correct: int
    """Correct samples (verdicts)."""
    valid: int
    invalid: int
    unparsed: int
    unjudged: int
    """Correct samples without a label (counted as not valid)."""
    ks: tuple[int, ...]
    pass_at_k: tuple[float, ...]
    cot_pass_at_k: tuple[float, ...]


def cot_pass_at_k(run: Run | str, judge: str | None = None, ks: Sequence[int] | None = None) -> list[CotPassRow]:
    """pass@k and CoT-pass@k per (benchmark, model) for the models whose correct samples were judged.

    CoT-pass@k uses d = correct samples labelled ``valid``; unjudged and unparsed ones count as not
    valid, and the row says how many there were. ``ks`` default: powers of two up to the smallest n.
    """
    from boundary.analysis.passk import pass_at_k
    run = run if isinstance(run, Run) else Run(run)
    labels = judgment_labels(run, judge)
    if labels is None:
        return []
    jid = judge or judges(run)[-1]
    v = run.verdicts(["model", "benchmark", "problem_id", "sample_index", "status"])
    joined = v.join(labels, keys=["model", "benchmark", "problem_id", "sample_index"], join_type="left outer")
    per: dict[tuple, list[int]] = {}   # (model, bench, pid) -> [n, correct, valid, invalid, unparsed]
    for m, b, p, st, lab in zip(*(joined[c].to_pylist() for c in ["model", "benchmark", "problem_id", "status", "label"])):
        r = per.setdefault((m, b, p), [0, 0, 0, 0, 0])
        r[0] += 1
        if st == "correct":
            r[1] += 1
            if lab == "valid":
                r[2] += 1
            elif lab == "invalid":
                r[3] += 1
            elif lab == "unparsed":
                r[4] += 1
    judged_models = set(labels["model"].unique().to_pylist())
    out = []
    groups: dict[tuple, list] = {}
    for (m, b, p), r in per.items():
        if m in judged_models:
            groups.setdefault((b, m), []).append(r)
    border = {b: i for i, b in enumerate(run.benchmarks)}
    morder = {m: i for i, m in enumerate(run.models)}
    for (b, m), rows in sorted(groups.items(), key=lambda kv: (border.get(kv[0][0], 1e9), morder.get(kv[0][1], 1e9))):
        a = np.array(rows, dtype=np.int64)
        n_min = int(a[:, 0].min())
        use = [k for k in (ks or _powers(n_min)) if 1 <= k <= n_min]
        pk = tuple(float(np.mean(pass_at_k(a[:, 0], a[:, 1], k))) for k in use)
        ck = tuple(float(np.mean(pass_at_k(a[:, 0], a[:, 2], k))) for k in use)
        c, val, inv, unp = (int(a[:, j].sum()) for j in (1, 2, 3, 4))
        out.append(CotPassRow(benchmark=b, model=m, judge=jid, problems=len(rows), correct=c, valid=val,
                              invalid=inv, unparsed=unp, unjudged=c - val - inv - unp, ks=tuple(use),
                              pass_at_k=pk, cot_pass_at_k=ck))
    return out


def _powers(n: int) -> list[int]:
    ks, k = [], 1
    while k < n:
        ks.append(k)
        k *= 2
    return ks + [n]


__all__ = ["parse_verdict", "aggregate", "judge_id", "render_judge_prompt", "judge_run", "JudgeSummary",
           "judges", "judgment_labels", "cot_pass_at_k", "CotPassRow"]
