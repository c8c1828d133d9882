"""The six math benchmarks of Yue et al. 2025: GSM8K, MATH500, Minerva math, OlympiadBench,
AIME24 and AMC23.

Two sources for each:

- a local file in the format the paper's evaluation code ships (the Qwen2.5-Math / SimpleRL-Zoo
  ``data/<name>/test.jsonl`` files; see ``docs/data.md``): ``load_math_benchmark("math500",
  source="path/to/math500.jsonl")``;
- the Hugging Face hub through ``datasets`` (``pip install 'boundary[hub]'``):
  ``load_math_benchmark("math500")``.

Both go through the same per-benchmark row parser; hub rows are read with lower-cased field
names (as Qwen2.5-Math's ``lower_keys`` does), so ``Problem``/``Answer``/``ID`` of
``Maxwell-Jia/AIME_2024`` read like ``problem``/``answer``/``id`` of the local file.

Reference answers are normalized only where the source format forces it, and the raw value is
kept in ``metadata["reference_raw"]`` whenever it differs:

- GSM8K: the text after ``####``, thousands commas removed (``1,000`` -> ``1000``);
- Minerva: the content of the last ``\\boxed{...}`` of ``solution`` (brace matching);
- OlympiadBench: ``final_answer`` (a list, or a list written as a string) with ``$`` math
  delimiters removed, several answers joined with ``", "``;
- AIME24: leading zeros of the AoPS answer format dropped (``025`` -> ``25``);
- AMC23: floats written as integers when integral (``27.0`` -> ``27``).
"""

from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from collections.abc import Callable, Iterable

from boundary.errors import BoundaryError, InputError
from boundary.tasks._io import read_records
from boundary.tasks.problem import Problem

__all__ = [
    "BENCHMARKS", "BenchmarkInfo", "canonical_name", "load_math_benchmark", "last_boxed",
    "verify_hints", "HUB_INSTALL_HINT",
]

HUB_INSTALL_HINT = "pip install 'boundary[hub]'"


# --------------------------------------------------------------------------------------------
# LaTeX helpers
# --------------------------------------------------------------------------------------------

_BOX_RE = re.compile(r"\\(?:boxed|fbox)(?![A-Za-z])")


def last_boxed(text: str) -> str | None:
    r"""The content of the last ``\boxed{...}`` (or ``\fbox{...}``) of ``text``, or None.

    Braces are matched, so nested groups survive: ``\boxed{\frac{1}{2}}`` -> ``\frac{1}{2}``.
    Escaped braces (``\{``, ``\}``) do not count. ``\boxed 5`` (no braces) gives ``5``.
    An unclosed box gives None.

    >>> last_boxed(r"so $x=\boxed{\dfrac{\sqrt{3}}{2}}$ cm")
    '\\dfrac{\\sqrt{3}}{2}'
    >>> last_boxed(r"\boxed{1} then \boxed{\{2, 3\}}")
    '\\{2, 3\\}'
    >>> last_boxed("none") is None
    True
    """
    matches = list(_BOX_RE.finditer(text))
    for m in reversed(matches):
        content = _box_content(text, m.end())
        if content is not None:
            return content
    return None


def _box_content(text: str, i: int) -> str | None:
    n = len(text)
    while i < n and text[i] in " \t":
        i += 1
    if i >= n:
        return None
    if text[i] != "{":
        # \boxed 5  -> up to the next whitespace or math delimiter
        j = i
        while j < n and text[j] not in " \t\n$":
            j += 1
        return text[i:j] or None
    depth = 0
    j = i
    while j < n:
        c = text[j]
        if c == "\\":
            j += 2
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return text[i + 1:j]
        j += 1
    return None


_DOLLAR_RE = re.compile(r"(?<!\\)\$")


def _strip_math_delimiters(s: str) -> str:
    r"""Remove unescaped ``$`` math delimiters: ``$69$,$84$`` -> ``69,84`` (``\$`` is kept)."""
    return _DOLLAR_RE.sub("", s).strip()


def _int_text(value: Any) -> str:
    """``27.0`` -> ``"27"``, ``"025"`` -> ``"25"``, ``0.5`` -> ``"0.5"``, other text unchanged."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    s = str(value).strip()
    if re.fullmatch(r"[+-]?\d+", s):
        return str(int(s))
    if re.fullmatch(r"[+-]?\d+\.0*", s):
        return str(int(float(s)))
    return s


# --------------------------------------------------------------------------------------------
# Row parsers: one per benchmark, for local and hub rows alike (keys lower-cased)
# --------------------------------------------------------------------------------------------


class _RowError(Exception):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def _first(row: dict[str, Any], keys: Iterable[str], what: str) -> Any:
    for k in keys:
        v = row.get(k)
        if v is not None and (not isinstance(v, str) or v.strip()):
            return v
    keys = list(keys)
    raise _RowError(f"no {what}: expected a non-empty field {' or '.join(repr(k) for k in keys)}; "
                    f"the record has {sorted(row)}.", field=keys[0])


def _question(row: dict[str, Any]) -> str:
    return str(_first(row, ("question", "problem"), "question")).strip()


def _keep(row: dict[str, Any], keys: Iterable[str]) -> dict[str, Any]:
    return {k: row[k] for k in keys if row.get(k) is not None}


def _parse_gsm8k(row):
    raw = str(_first(row, ("answer",), "answer"))
    if "####" not in raw:
        raise _RowError("the GSM8K 'answer' field has no '####' line.", field="answer")
    number = raw.split("####")[-1].strip()
    ref = number.replace(",", "")
    meta = {}
    if ref != number:
        meta["reference_raw"] = number
        meta["reference_note"] = "thousands separators removed"
    return _question(row), ref, meta


def _parse_math500(row):
    ref = str(_first(row, ("answer",), "answer")).strip()
    return _question(row), ref, _keep(row, ("subject", "level", "unique_id"))


def _parse_minerva(row):
    meta = _keep(row, ("type",))
    ans = row.get("answer")
    if ans is not None and str(ans).strip():
        ref = str(ans).strip()
    else:
        solution = str(_first(row, ("solution",), "solution (or answer)"))
        ref = last_boxed(solution)
        if ref is None or not ref.strip():
            raise _RowError("no \\boxed{...} answer in 'solution'.", field="solution")
        ref = ref.strip()
    if _DOLLAR_RE.search(ref):  # stray math delimiters inside a box, e.g. "x_{0} \cos (\omega t)+$ $\dot{x}_{0}"
        meta["reference_raw"] = ref
        ref = re.sub(r"\s+", " ", _strip_math_delimiters(ref))
    return _question(row), ref, meta


def _parse_olympiadbench(row):
    raw = _first(row, ("final_answer",), "final_answer")
    answers = raw
    if isinstance(raw, str):
        s = raw.strip()
        if s.startswith("["):
            try:
                answers = ast.literal_eval(s)
            except (ValueError, SyntaxError) as e:
                raise _RowError(f"cannot parse final_answer {s[:80]!r} as a list: {e}", field="final_answer") from e
        else:
            answers = [s]
    if not isinstance(answers, (list, tuple)) or not answers:
        raise _RowError(f"final_answer must be a non-empty list, got {raw!r}.", field="final_answer")
    parts = [_strip_math_delimiters(str(a)) for a in answers]
    ref = ", ".join(p for p in parts if p)
    question = _question(row)
    context = row.get("context")
    if context is not None and str(context).strip():
        question = str(context).strip() + "\n" + question
    meta = _keep(row, ("subfield", "subject", "answer_type", "unit", "error", "difficulty"))
    meta["is_multiple_answer"] = bool(row.get("is_multiple_answer", len(answers) > 1))
    unit = meta.get("unit")
    if isinstance(unit, str) and _DOLLAR_RE.search(unit):
        meta["unit_raw"] = unit
        meta["unit"] = _strip_math_delimiters(unit)
    raw_list = [str(a) for a in answers]
    if raw_list != [ref]:
        meta["reference_raw"] = raw_list
    return question, ref, meta


def _parse_aime24(row):
    raw = _first(row, ("answer",), "answer")
    ref = _int_text(raw)
    meta = _keep(row, ("url",))
    if str(raw).strip() != ref:
        meta["reference_raw"] = str(raw).strip()
    return _question(row), ref, meta


def _parse_amc23(row):
    raw = _first(row, ("answer",), "answer")
    ref = _int_text(raw)
    meta = _keep(row, ("url",))
    if str(raw).strip() != ref:
        meta["reference_raw"] = raw
    return _question(row), ref, meta


# --------------------------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BenchmarkInfo:
    name: str
    description: str
    size: int
    """Number of problems of the standard test set."""
    answer_space: str
    """What the answers look like (matters for guessing at large k)."""
    hub_path: str
    hub_config: str | None
    hub_split: str
    local_file: str
    """File name of the local format (as shipped by the paper's evaluation code)."""
    license: str
    aliases: tuple[str, ...] = ()
    hub_note: str = ""
    parse: Callable[[dict[str, Any]], tuple[str, str, dict[str, Any]]] | None = field(default=None, repr=False,
                                                                                  compare=False)

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "size": self.size,
                "answer_space": self.answer_space, "hub": self.hub_path, "hub_config": self.hub_config,
                "hub_split": self.hub_split, "local_file": self.local_file, "license": self.license,
                "aliases": list(self.aliases)}


BENCHMARKS: dict[str, BenchmarkInfo] = {b.name: b for b in [
    BenchmarkInfo(
        "gsm8k", "GSM8K test: grade-school math word problems (Cobbe et al. 2021).", 1319,
        "non-negative integers (a few with thousands separators); small, guessable range",
        "openai/gsm8k", "main", "test", "gsm8k.jsonl", "MIT", ("gsm-8k",), parse=_parse_gsm8k),
    BenchmarkInfo(
        "math500", "MATH500: the PRM800K 500-problem test subset of MATH (Hendrycks et al. 2021).", 500,
        "LaTeX: integers, fractions, radicals, intervals, tuples, expressions, text",
        "HuggingFaceH4/MATH-500", None, "test", "math500.jsonl", "MIT", ("math-500", "math_500"),
        parse=_parse_math500),
    BenchmarkInfo(
        "minerva", "Minerva math: undergraduate STEM problems from MIT OpenCourseWare "
        "(Lewkowycz et al. 2022).", 272,
        "numbers with units and scientific notation, LaTeX expressions",
        "math-ai/minervamath", None, "test", "minerva_math.jsonl",
        "CC BY-NC-SA 4.0 (MIT OCW terms; unverified for the dataset files)",
        ("minerva_math", "minervamath", "minerva-math"),
        hub_note="hub rows carry 'question' and 'answer' (no 'solution'); field names unverified",
        parse=_parse_minerva),
    BenchmarkInfo(
        "olympiadbench", "OlympiadBench (He et al. 2024): English, text-only, open-ended math "
        "competition problems (OE_TO_maths_en_COMP).", 675,
        "numbers, expressions, tuples, intervals; some multi-answer, some with units",
        "Hothan/OlympiadBench", "OE_TO_maths_en_COMP", "train", "olympiadbench.jsonl", "Apache-2.0",
        ("olympiad", "olympiad_bench", "olympiad-bench"),
        hub_note="the hub dataset has only a 'train' split", parse=_parse_olympiadbench),
    BenchmarkInfo(
        "aime24", "AIME 2024 (I and II): 30 problems from the Art of Problem Solving wiki.", 30,
        "integers 0-999 (guessable at large k)",
        "Maxwell-Jia/AIME_2024", None, "train", "aime24.jsonl",
        "problems (c) MAA, via the AoPS wiki; dataset license unverified", ("aime2024", "aime_2024", "aime-24"),
        parse=_parse_aime24),
    BenchmarkInfo(
        "amc23", "AMC 2023 (10/12 A and B): 40 problems from the Art of Problem Solving wiki, "
        "answer-only form.", 40,
        "integers in the answer-only form (the multiple-choice letters are not used)",
        "math-ai/amc23", None, "test", "amc23.jsonl",
        "problems (c) MAA, via the AoPS wiki; dataset license unverified", ("amc2023", "amc_23", "amc-23"),
        parse=_parse_amc23),
]}


def _key(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", name.strip().lower())


_ALIASES: dict[str, str] = {}
for _b in BENCHMARKS.values():
    for _a in (_b.name, *_b.aliases):
        _ALIASES[_key(_a)] = _b.name


def canonical_name(name: str) -> str | None:
    """The registry name for ``name`` (case-insensitive, ``-``/``_`` ignored), or None.

    >>> canonical_name("MATH-500"), canonical_name("AIME_2024"), canonical_name("olympiad")
    ('math500', 'aime24', 'olympiadbench')
    """
    return _ALIASES.get(_key(name))


def known_names() -> str:
    return ", ".join(f"{b.name} (aliases: {', '.join(b.aliases)})" if b.aliases else b.name
                     for b in BENCHMARKS.values())


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------


def load_math_benchmark(name: str, source: str | Path | None = None, *, split: str | None = None,
                        revision: str | None = None) -> list[Problem]:
    """The problems of one of the six math benchmarks.

    ``source=None`` loads from the Hugging Face hub (needs ``datasets``: ``pip install
    'boundary[hub]'``); ``source=path`` reads a local file in the format of the paper's evaluation
    code (JSONL; JSON, Parquet and CSV with the same fields work too). ``split``/``revision``
    override the hub split and pin a dataset revision.
    """
    canon = canonical_name(name)
    if canon is None:
        raise InputError(f"unknown benchmark {name!r}. Known: {known_names()}. For your own data pass "
                         "source='path/to/file.jsonl' with a field mapping (question=..., answer=...).")
    info = BENCHMARKS[canon]
    if source is None:
        rows = _hub_rows(info, split=split, revision=revision)
        origin = f"hub:{info.hub_path}" + (f"/{info.hub_config}" if info.hub_config else "")
        numbered: Iterable[tuple[int, dict[str, Any]]] = ((i + 1, r) for i, r in enumerate(rows))
        where = origin
    else:
        numbered = read_records(source)
        origin = f"file:{Path(source).name}"
        where = str(source)
    return _build(info, numbered, origin=origin, where=where, is_file=source is not None)


def _build(info: BenchmarkInfo, numbered, *, origin: str, where: str, is_file: bool) -> list[Problem]:
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for lineno, row in numbered:
        row = {str(k).lower(): v for k, v in row.items()}
        assert info.parse is not None  # every registered benchmark has its parser
        try:
            question, reference, meta = info.parse(row)
        except _RowError as e:
            raise InputError(f"{info.name}: {e}", path=where, line=lineno if is_file else None,
                             row=None if is_file else lineno, field=e.field) from None
        pid = _problem_id(row, index=len(problems))
        if pid in seen:
            raise InputError(f"{info.name}: duplicate problem id {pid!r} (also at record {seen[pid]}); "
                             "ids must be unique.", path=where, line=lineno if is_file else None)
        seen[pid] = lineno
        meta = {**meta, "index": len(problems), "source": origin}
        problems.append(Problem(benchmark=info.name, id=pid, question=question, reference=reference,
                                metadata=meta))
    if not problems:
        raise InputError(f"{info.name}: no problems found.", path=where)
    return problems


def _problem_id(row: dict[str, Any], index: int) -> str:
    for k in ("unique_id", "id", "idx"):
        v = row.get(k)
        if v is not None and str(v).strip() != "":
            return str(v).strip()
    return str(index)


def _hub_rows(info: BenchmarkInfo, *, split: str | None, revision: str | None) -> list[dict[str, Any]]:
    local_hint = (f"load_benchmark({info.name!r}, source='path/to/{info.local_file}') "
                  "(the file format is described in docs/data.md)")
    try:
        import datasets  # noqa: PLC0415 - optional dependency
    except ImportError as e:
        raise BoundaryError(
            f"loading {info.name!r} from the Hugging Face hub needs the 'datasets' package: "
            f"{HUB_INSTALL_HINT}. Or read a local file: {local_hint}.") from e
    args: list[Any] = [info.hub_path] + ([info.hub_config] if info.hub_config else [])
    kwargs: dict[str, Any] = {"split": split or info.hub_split}
    if revision is not None:
        kwargs["revision"] = revision
    try:
        ds = datasets.load_dataset(*args, **kwargs)
        rows = [dict(r) for r in ds]
    except Exception as e:  # datasets raises many types when offline (ConnectionError, OSError, ...)
        offline = os.environ.get("HF_HUB_OFFLINE") or os.environ.get("HF_DATASETS_OFFLINE")
        why = " (HF_HUB_OFFLINE/HF_DATASETS_OFFLINE is set)" if offline else ""
        target = info.hub_path + (f" config {info.hub_config!r}" if info.hub_config else "")
        raise InputError(
            f"could not load {target} split {kwargs['split']!r} from the Hugging Face hub{why}: "
            f"{type(e).__name__}: {e}. Without network access, read a local file instead: {local_hint}."
        ) from e
    return rows


def verify_hints(problem: Problem) -> dict[str, Any]:
    """The verifier hints a problem's metadata carries: ``unit``, ``is_multiple_answer``,
    ``answer_type`` (only those present and not None)."""
    md = problem.metadata
    return {k: md[k] for k in ("unit", "is_multiple_answer", "answer_type") if md.get(k) is not None}
