"""The prompt each stored sample was drawn from, rebuilt from the run (problems table + manifest).

The sample stage records, per model, its prompt template (name, kind, fingerprint, text) and the
model's spec; the problems table holds every problem's question and metadata. Together they give
back the exact prompt text, checked against the recorded fingerprint, so that a scoring model M
sees the prompt model S saw ("given the same prompts").
"""

from __future__ import annotations

import json
from typing import Any

from boundary.errors import BoundaryError
from boundary.store import Run
from boundary.tasks.problem import Problem


def problems_of(run: Run, benchmark: str) -> dict[str, Problem]:
    import pyarrow.compute as pc
    t = run.read("problems", ["benchmark", "problem_id", "question", "reference", "metadata"],
                 filter=pc.field("benchmark") == benchmark)
    out = {}
    for r in t.to_pylist():
        meta = json.loads(r["metadata"]) if r["metadata"] else {}
        out[r["problem_id"]] = Problem(benchmark=benchmark, id=r["problem_id"], question=r["question"] or "",
                                       reference=r["reference"] or "", metadata=meta)
    return out


def template_of(run: Run, model: str, override: Any = None):
    """The prompt template ``model``'s samples were drawn with (None: the server's chat template).

    ``override`` (a template spec: name, text or mapping) is used for samples the run has no
    record of (imported paper JSONL).
    """
    from boundary.prompts.templates import ChatTemplate, PromptTemplate, make_template
    if override is not None:
        return make_template(override)
    rec = run.sampling_record(model)
    if rec is None:
        raise BoundaryError(f"{run.path}: model {model!r} has no sampling record (imported samples?), so its "
                            "prompts are unknown; pass the template they were drawn with (`--template NAME`).")
    tinfo = rec.template
    mspec = rec.model
    if tinfo.fingerprint == "server":
        return None
    spec_t = mspec.get("template") or run.spec.get("template")
    t: PromptTemplate | ChatTemplate
    if tinfo.kind == "text" and tinfo.text:
        t = PromptTemplate(name=tinfo.name or "recorded", text=tinfo.text)
    else:
        if isinstance(spec_t, str) and spec_t.strip().lower() == "chat":
            spec_t = {"chat": True}
        if isinstance(spec_t, dict) and spec_t.get("chat"):
            spec_t = {**spec_t, "tokenizer": spec_t.get("tokenizer") or mspec.get("path")}
        t = make_template(spec_t)
    fp = getattr(t, "fingerprint", None)
    if tinfo.fingerprint and fp != tinfo.fingerprint:
        raise BoundaryError(f"{run.path}: the prompt template of model {model!r} rebuilt now has fingerprint "
                            f"{fp}, but the samples were drawn with {tinfo.fingerprint} ({tinfo.name!r}); "
                            "the tokenizer or template changed. Pass the original template (`--template`).")
    return t


def render(template, problem: Problem):
    """The model input for ``problem``: text, or chat messages ((role, content), ...)."""
    from boundary.sampling.stage import render_prompt
    return render_prompt(template, problem)
