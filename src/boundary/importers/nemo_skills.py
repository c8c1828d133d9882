"""Import NeMo-Skills generation files (``output-rs<seed>.jsonl``, one file per random seed).

The writer is ``GenerationTask.postprocess_single_output`` / ``dump_outputs`` of
``nemo_skills/inference/generate.py`` (NeMo-Skills 0.7.0, commit 0b012df8): one line per problem,
in the input's order (``restore_async_order``), holding the input data point (``problem``,
``expected_answer``, ...) with ``generation`` and, when recorded, ``num_generated_tokens`` and
``finish_reason``. Evaluation adds ``predicted_answer`` and ``symbolic_correct``
(``nemo_skills/evaluation/evaluator/math.py``); an LLM judge adds ``judgement``, which the metrics
read as ``judge_correct`` = ``is_correct_judgement(judgement)`` (``evaluation/metrics/utils.py``).
The metrics pair the seeds' files line by line (``compute_metrics.py``: ``zip_longest`` over the
files), so a problem is a line position, and the seed files are its samples.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from boundary._files import sha256_file
from boundary.errors import InputError
from boundary.importers._stream import (ProblemRow, SampleImportSummary, SampleRow, StreamWriter, check_files,
                                        check_options, json_object, need, open_run, read_lines)
from boundary.store import ImportRecord, Run

FORMAT = "nemo-skills"
SEED_RE = re.compile(r"^output-rs(\d+)\.jsonl$")
VERDICTS = ("symbolic_correct", "judge_correct")
QUESTION_FIELDS = ("problem", "question")
SKIPPED = {"generation", "expected_answer", "predicted_answer", "symbolic_correct", "judgement",
           "num_generated_tokens", "finish_reason", "generation_time", "generation_start_time",
           "generation_end_time", "num_input_tokens", "reasoning_content", "_full_generation"}


def seed_of(path: Path) -> int:
    """The seed in ``output-rs<seed>.jsonl``; 0 for another name (``output.jsonl``, a greedy run)."""
    m = SEED_RE.match(path.name)
    return int(m.group(1)) if m else 0


def is_correct_judgement(judgement: str) -> bool:
    """NeMo-Skills' reading of a judge's output (``metrics/utils.py``): ``Judgement: yes`` → True, else False."""
    if "Judgement:" in judgement:
        verdict = judgement.split("Judgement:")[-1].strip().lower()
        if verdict.startswith("yes"):
            return True
    return False


def _verdict(rec: dict[str, Any], which: str, path: Path, line: int) -> bool | None:
    if which == "judge_correct":
        j = rec.get("judgement")
        if j is None:
            return None
        if not isinstance(j, str):
            raise InputError(f"must be the judge's text, got {j!r}.", path=str(path), line=line, field="judgement")
        return is_correct_judgement(j)
    v = rec.get(which)
    if v is None:
        return None
    if not isinstance(v, bool):
        raise InputError(f"must be true or false, got {v!r}.", path=str(path), line=line, field=which)
    return v


def _scan(files: list[Path], which: str | None, id_field: str | None,
          progress: Callable[[int], None] | None) -> tuple[list[str], str | None]:
    """Check every line; return the problem ids by line position and the verdict field to import."""
    ids: list[str] = []
    texts: list[Any] = []
    present: dict[str, tuple[Path, int] | None] = {v: None for v in VERDICTS}
    missing: dict[str, tuple[Path, int] | None] = {v: None for v in VERDICTS}
    seeds: dict[int, Path] = {}
    for path in files:
        s = seed_of(path)
        if s in seeds:
            raise InputError(f"has seed {s}, as {seeds[s]} has; each seed's file is imported once.", path=str(path))
        seeds[s] = path
        pos = 0
        for line_no, text in read_lines(path, progress):
            rec = json_object(text, path, line_no)
            if "generation" not in rec:
                raise InputError("is missing; every line of a NeMo-Skills output file has the model's `generation`.",
                                 path=str(path), line=line_no, field="generation")
            if not isinstance(rec["generation"], str):
                raise InputError(f"must be a string, got {type(rec['generation']).__name__}.", path=str(path),
                                 line=line_no, field="generation")
            if id_field is not None and id_field not in rec:
                raise InputError(f"is missing (-o id={id_field}).", path=str(path), line=line_no, field=id_field)
            pid = str(rec[id_field]) if id_field else str(pos)
            question = next((rec[f] for f in QUESTION_FIELDS if f in rec), None)
            if path == files[0]:
                if pid in ids:
                    raise InputError(f"problem id {pid!r} appears twice.", path=str(path), line=line_no,
                                     field=id_field)
                ids.append(pid)
                texts.append(question)
            elif pos >= len(ids) or ids[pos] != pid or texts[pos] != question:
                what = ("has more lines than" if pos >= len(ids) else
                        "holds another problem on this line than")
                raise InputError(f"{what} {files[0]}: NeMo-Skills pairs the seeds' files line by line, so every "
                                 "file must hold the same problems in the same order.", path=str(path), line=line_no)
            for v in VERDICTS:
                got = _verdict(rec, v, path, line_no)
                slot = present if got is not None else missing
                if slot[v] is None:
                    slot[v] = (path, line_no)
            pos += 1
        if pos != len(ids):
            raise InputError(f"has {pos} lines but {files[0]} has {len(ids)}: every seed's file must hold the same "
                             "problems.", path=str(path))
    if not ids:
        raise InputError("holds no problems (the file is empty).", path=str(files[0]))
    if which is None:
        which = next((v for v in VERDICTS if present[v] is not None), None)
    elif present[which] is None:
        return ids, None
    if which is not None and missing[which] is not None:
        p, ln = missing[which]             # type: ignore[misc]
        raise InputError(f"has no {which} while other lines have one; evaluate every file, or import without "
                         "verdicts (-o verdict=none).", path=str(p), line=ln,
                         field="judgement" if which == "judge_correct" else which)
    return ids, which


def import_nemo_skills(paths: list[str | Path], run: str | Path | Run, *, model: str | None = None,
                       benchmark: str | None = None, options: Mapping[str, str] | None = None,
                       shard_samples: int = 50_000,
                       progress: Callable[[int], None] | None = None) -> SampleImportSummary:
    """Stream NeMo-Skills output files into a run: line i of every file is problem i; seed s is sample s.

    The benchmark is the files' directory (``eval-results/<benchmark>/``) unless given; the model
    must be given. Verdicts: ``symbolic_correct`` when every line has it (else ``judge_correct``
    from ``judgement``), or ``-o verdict=judge_correct|symbolic_correct|none``.
    """
    options = dict(options or {})
    check_options(FORMAT, options)
    files = sorted((Path(p) for p in paths), key=seed_of)
    check_files(files)
    model = need(model, "model", "--model", files[0])
    benchmark = need(benchmark or files[0].resolve().parent.name, "benchmark", "--benchmark", files[0])
    want = options.get("verdict")
    if want not in (None, "none", *VERDICTS):
        raise InputError(f"-o verdict={want} is not one of {', '.join(VERDICTS)}, none.")
    ids, which = _scan(files, None if want is None else (None if want == "none" else want), options.get("id"),
                       progress)
    if want == "none":
        which = None
    run = open_run(run)
    w = StreamWriter(run, model, benchmark, shard_samples=shard_samples, fmt=FORMAT)
    kind = options.get("kind", "math")
    verifier = f"{FORMAT}:{which}" if which else None
    for k, path in enumerate(files):
        seed = seed_of(path)
        n = 0
        for pos, (line_no, text) in enumerate(read_lines(path, progress)):
            rec = json_object(text, path, line_no)
            pid = ids[pos]
            if k == 0:
                ref = rec.get("expected_answer")
                w.problem(ProblemRow(pid, next((rec[f] for f in QUESTION_FIELDS if f in rec), None),
                                     None if ref is None else str(ref),
                                     {"kind": kind, "source": FORMAT, "line": pos,
                                      **{key: v for key, v in rec.items() if key not in SKIPPED}}))
            ok = _verdict(rec, which, path, line_no) if which else None
            pred = rec.get("predicted_answer")
            status = None if ok is None else "correct" if ok else "no_answer" if pred is None else "wrong"
            fr = rec.get("finish_reason")
            w.sample(SampleRow(pid, seed, rec["generation"], finish_reason=None if fr is None else str(fr),
                               status=status, extracted=None if pred is None else str(pred),
                               verifier=verifier if status else None, seed=seed,
                               detail=rec.get("judgement") if which == "judge_correct" else None))
            n += 1
        w.flush()
        run.add_import(ImportRecord(kind=FORMAT, file=str(path.resolve()), sha256=sha256_file(path), model=model,
                                    benchmark=benchmark, problems=len(ids), samples=n))
    w.part.problems = len(ids)
    w.part.files = [str(p) for p in files]
    if not which:
        w.part.note = "-o verdict=none" if want == "none" else "the files have no symbolic_correct or judgement"
    return SampleImportSummary(format=FORMAT, run=str(run.path), parts=[w.part])
