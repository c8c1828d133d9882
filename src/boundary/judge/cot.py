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
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from boundary.analysis.validity import CotPassRow, cot_pass_at_k, judges, judgment_labels
from boundary.errors import BoundaryError, StoreError
from boundary.sampling.plan import EngineConfig
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


@dataclass(frozen=True)
class JudgeConfig:
    """An LLM judge of correct samples' reasoning, as values (a spec's ``judge:`` block:
    ``JudgeSpec.to_config()``)."""

    engine: EngineConfig
    """The judge model's engine (any backend)."""
    prompt: str
    """With ``{response}`` and optionally ``{question}``, ``{reference}``, ``{answer}``."""
    chat: bool = False
    """Render the prompt through the judge model's chat template."""
    votes: int = 1
    aggregate: str = "majority"
    temperature: float = 0.0
    top_p: float = 1.0
    max_tokens: int = 1024
    max_response_chars: int | None = None
    seed: int = 0
    batch_samples: int = 256
    record: Mapping[str, Any] = field(default_factory=dict, hash=False)
    """The judge as the run records it (and as its id hashes it): the spec block's fields."""


def judge_id(judge: JudgeConfig) -> str:
    """``<judge model name>#<fingerprint of model, prompt and decoding>``."""
    d = {k: v for k, v in judge.record.items() if k != "batch_samples"}
    return f"{judge.engine.name}#{hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()[:12]}"


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


def judge_run(run: Run | str | os.PathLike, judge: JudgeConfig, *, models: Sequence[str] | None = None, backend=None,
              progress: Callable[[int], None] | None = None) -> JudgeSummary:
    """Judge the reasoning of every correct sample that this judge has not labelled yet.

    Args:
        judge: the judge (from a spec: ``JudgeSpec.to_config()``).
        models: judge only these models' samples (default: all).
        backend: an already-built engine for the judge model (tests; reusing an engine).
    """
    from boundary.sampling.backends import create_backend
    from boundary.sampling.seeds import derive_seed
    from boundary.sampling.stage import draw
    from boundary.sampling.types import ChunkRequest, Completion, SamplingParams
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
    if judge.chat and not (judge.engine.backend == "openai" and judge.engine.api == "chat"):
        from boundary.prompts.templates import make_template
        template = make_template({"chat": True, "tokenizer": judge.engine.path})
    server_chat = judge.engine.backend == "openai" and judge.engine.api == "chat"
    params = SamplingParams(temperature=judge.temperature, top_p=judge.top_p, max_tokens=judge.max_tokens)
    own = backend is None
    engine = create_backend(judge.engine) if own else backend
    judged = 0
    try:
        _record(run, judge, jid, engine)
        keys: dict[int, tuple] = {}

        def requests() -> Iterator[ChunkRequest]:
            for rb in run.iter_batches("samples", ["model", "benchmark", "problem_id", "sample_index", "text"],
                                       batch_size=2048):
                d = rb.to_pydict()
                for m, b, p, i, text in zip(d["model"], d["benchmark"], d["problem_id"], d["sample_index"],
                                            d["text"]):
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
                    keys[len(keys)] = key
                    yield ChunkRequest(benchmark=b, problem_id=p, chunk_index=len(keys) - 1, first_index=0,
                                       n=judge.votes, seed=derive_seed(judge.seed, f"judge:{jid}:{m}", b, p, int(i)),
                                       prompt="" if server_chat else prompt,
                                       messages=(("user", prompt),) if server_chat else None)

        def write(unit: list[ChunkRequest], chunks: list[tuple[ChunkRequest, list[Completion]]]) -> None:
            nonlocal judged
            rows = []
            for req, completions in chunks:
                m, b, p, i = keys.pop(req.chunk_index)
                outs = [c.text for c in completions]
                votes = [parse_verdict(o) for o in outs]
                label = aggregate(votes, judge.aggregate)
                labels[label] = labels.get(label, 0) + 1
                rows.append({"judge": jid, "model": m, "benchmark": b, "problem_id": p, "sample_index": i,
                             "label": label, "votes_valid": votes.count("valid"),
                             "votes_invalid": votes.count("invalid"), "votes_total": len(votes), "outputs": outs})
            run.write("judgments", pa.Table.from_pylist(rows))
            judged += len(rows)
            if progress:
                progress(len(rows))

        # the sampling stage's drawing loop: batches of judge.batch_samples, finished chunks kept on failure
        draw(engine, requests(), params, batch_chunks=judge.batch_samples, write=write, what=f"judge {jid}")
    finally:
        if own:
            engine.close()
    if todo:
        raise StoreError(f"{run.path}: {len(todo)} correct verdicts have no sample text (e.g. "
                         f"{next(iter(todo))}); the judge needs the texts.")
    run.mark_stage("judge", judge=jid, judged=judged)
    return JudgeSummary(run=str(run.path), judge=jid, judged=judged, skipped=skipped, labels=labels)


def _record(run: Run, judge: JudgeConfig, jid: str, engine) -> None:
    run.record_judge(jid, spec=dict(judge.record), engine=engine.info() if engine is not None else None)


__all__ = ["JudgeConfig", "parse_verdict", "aggregate", "judge_id", "render_judge_prompt", "judge_run", "JudgeSummary",
           "judges", "judgment_labels", "cot_pass_at_k", "CotPassRow"]
