r"""The ``visual`` task kind's verifier: MathVista and MathVision answers (``docs/visual.md``).

The final answer is extracted as for math (last ``\boxed{}``, ``<answer>`` tag, ``Answer:`` line;
no last-number fallback), then, by the problem's metadata (:mod:`boundary.tasks.visual`):

- **multiple choice** (``choices``; the reference is the option letter, up to 8 options A–H): an
  answer equal to an option's text (after normalization) is that option; else a letter — ``B``,
  ``(B)``, ``B.``, ``B) 145°``, ``(b)``, ``Option B``, a lone lower-case ``g`` — is that option; a
  letter beyond the options is wrong. Anything else is checked against the correct option's text
  by the math verifier (so ``\frac{1}{2}`` matches the option ``0.5``). When the options are only
  letters whose contents are drawn in the image (MathVision), an answer that is not a letter cannot
  be checked: undecided (status ``error``, path ``undecided``), never ``wrong``.
- **lists** (``answer_type: list``): with or without brackets, compared item by item, in order;
  a different length is wrong.
- **everything else** goes to the math verifier (:class:`~boundary.verify.math.MathVerifier`:
  exact paths, units from ``unit``, math-verify, hard time limits), with the grading mode's rule
  first:

  ============== ==========================================================================
  mode           rule
  ============== ==========================================================================
  ``paper``      none: the paper's RL framework (EasyR1) grades by equivalence, no rounding.
                 The default.
  ``mathvista``  MathVista's official rule for floats: the answer is rounded to the problem's
                 ``precision`` decimals before it is compared (``1.23`` is right for ``1.2`` at
                 precision 1). Integers are compared exactly (the official
                 ``str(int(float(x)))`` would truncate ``1.9`` to ``1``: not copied).
  ``mathvision`` MATH-V's official 2-decimal tolerance: two numbers equal after rounding
                 to 2 decimals are the same answer (``0.3333`` for ``\frac{1}{3}``).
  ============== ==========================================================================

  A rule only ever adds "correct" verdicts on top of the math verifier's.

The mode is part of the verifier's recorded name (``visual[mode=mathvista];...``), so verdicts of
different modes are never mixed silently. What the checker cannot decide (a timeout, a crash, an
option it cannot see) is ``timeout`` / ``error``, never ``wrong``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from boundary.tasks import Problem, Verdict, VerifyItem
from boundary.tasks.visual import LETTERS
from boundary.verify.math import MathVerifier, MathVerifyConfig

__all__ = ["MODES", "VisualVerifyConfig", "VisualVerifier", "choice_letter", "split_list", "VERIFIER_VERSION"]

MODES = ("paper", "mathvista", "mathvision")
VERIFIER_VERSION = "boundary-visual/1"
#: Answers longer than this are not parsed as letters or numbers in this process (the math
#: verifier's workers still get them, with their time limit).
_MAX_LOCAL = 200
_MAX_STORED = 2000


@dataclass(frozen=True)
class VisualVerifyConfig:
    """How visual-reasoning samples are verified (the spec's ``verify: visual:`` block)."""

    mode: str = "paper"
    """``paper`` (equivalence, no rounding: EasyR1's grading), ``mathvista`` (floats rounded to the
    problem's precision, MathVista's official rule) or ``mathvision`` (2-decimal numeric tolerance,
    MATH-V's official rule)."""
    timeout_s: float = 5.0
    """Hard wall-clock limit per distinct (answer, reference) check; overruns become ``timeout``."""
    allow_truncated: bool = False
    """Grade samples that hit the length limit as if complete (default: status ``truncated``)."""
    workers: int | None = None
    """Worker processes of the math checks (default: CPU count)."""
    memory_mb: int = 2048
    """Address-space limit per worker; a blow-up becomes ``error``."""

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {self.mode!r}.")
        self.math_config()                  # its own checks (timeout_s, workers)

    def math_config(self) -> MathVerifyConfig:
        return MathVerifyConfig(timeout_s=self.timeout_s, allow_truncated=self.allow_truncated,
                                workers=self.workers, memory_mb=self.memory_mb)

    @property
    def verifier(self) -> str:
        """The name recorded on every verdict: the mode first, then the versions."""
        return f"visual[mode={self.mode}];{VERIFIER_VERSION};{self.math_config().verifier}"


# --------------------------------------------------------------------------------------------
# pure helpers

_WRAPPER = re.compile(r"^\\(?:text|textbf|textit|mathrm|mathbf|mbox)\s*\{(.*)\}$", re.DOTALL)


def _clean(s: str) -> str:
    """Strip what wraps an option answer: whitespace, ``$``, ``**``, ``\\text{}``, a final period."""
    t = s.strip()
    for _ in range(4):
        before = t
        t = t.strip().strip("*").strip()
        if len(t) >= 2 and t[0] == "$" and t[-1] == "$":
            t = t.strip("$").strip()
        m = _WRAPPER.match(t)
        if m:
            t = m.group(1).strip()
        if t.endswith(".") and not re.search(r"\d\.$", t):
            t = t[:-1].rstrip()
        if t == before:
            break
    return t


_LETTER_FORMS = (
    re.compile(r"\(([A-Ha-h])\)(?:\s.*)?", re.DOTALL),                         # (B), (b), (B) 145°
    re.compile(r"([A-H])(?:[.:)](?:\s.*)?)?", re.DOTALL),                       # B, B., B) 145, B: text
    re.compile(r"([a-h])"),                                                     # a lone lower-case letter
    re.compile(r"(?:option|choice|answer)\s*:?\s*\(?([A-Ha-h])\)?(?:[.:]?(?:\s.*)?)?", re.DOTALL | re.IGNORECASE),
)


def choice_letter(answer: str, choices: Sequence[str], unit: str | None = None) -> str | None:
    """The option an answer names: the letter of the option whose text it equals (normalized), else
    the letter it is written as (``B``, ``(B)``, ``B.``, ``(B) 145°``, ``Option B``, ``b``), else None.
    The letter may lie beyond the options (the caller makes that wrong).

    >>> choice_letter("145°", ["135°", "140°", "145°", "150°"])
    'C'
    >>> choice_letter("(B) 140", ["135°", "140°"]), choice_letter("g", list("abcdefgh"))
    ('B', 'G')
    >>> choice_letter("12", ["A", "B", "C", "D", "E"]) is None
    True
    """
    from boundary.verify.normalize import normalize_answer
    t = _clean(answer)
    if not t or len(t) > _MAX_LOCAL:
        return None
    texts = [str(c).strip() for c in choices]
    if t in texts:
        return LETTERS[texts.index(t)]
    hints = {"unit": unit} if unit else None
    nt = normalize_answer(t, hints)
    if nt:
        for i, c in enumerate(texts):
            if normalize_answer(c, hints) == nt:
                return LETTERS[i]
    for form in _LETTER_FORMS:
        m = form.fullmatch(t)
        if m:
            return m.group(1).upper()
    return None


_OUTER = re.compile(r"^\s*(?:\\left\s*)?[\[(]\s*(.*?)\s*(?:\\right\s*)?[\])]\s*$", re.DOTALL)


def split_list(s: str) -> list[str] | None:
    """The items of a list answer, written with or without brackets: ``[1, 2]``, ``(1, 2)``, ``1, 2``,
    ``1 and 2``, ``$[1,2]$``; None when ``s`` is not a list of at least one item.

    >>> split_list("[2014, 2016]"), split_list("2014, 2016"), split_list("$[1.5, 2]$")
    (['2014', '2016'], ['2014', '2016'], ['1.5', '2'])
    """
    t = _clean(s)
    t = re.sub(r"\\(?:left|right)(?=[\[\]()])", "", t)
    m = _OUTER.match(t)
    if m:
        t = m.group(1)
    t = re.sub(r"\s+and\s+", ",", t)
    depth = 0
    items: list[str] = []
    cur: list[str] = []
    for ch in t:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == "," and depth == 0:
            items.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
    items.append("".join(cur).strip())
    if any(not x for x in items):
        return None
    return items


def _number(s: str, unit: str | None) -> float | None:
    """A real number the answer denotes (plain number, fraction, closed form), or None."""
    from boundary.verify.normalize import normalize_answer, parse_number
    from boundary.verify.numeval import evaluate
    if len(s) > _MAX_LOCAL:
        return None
    n = normalize_answer(s, {"unit": unit} if unit else None)
    x = parse_number(n)
    if x is not None:
        return float(x)
    v = evaluate(n)
    if v is None or not (v[1].lo == 0.0 and v[1].hi == 0.0):
        return None
    return (v[0].lo + v[0].hi) / 2


def _rule(mode: str, answer: str, problem: Problem) -> tuple[str, str] | None:
    """The grading mode's extra rule: ``(path, detail)`` when it makes the answer correct, else None."""
    md = problem.metadata
    unit = md.get("unit")
    if mode == "mathvista" and md.get("answer_type") == "float" and md.get("precision") is not None:
        p = int(md["precision"])
        a, r = _number(answer, unit), _number(problem.reference, unit)
        if a is not None and r is not None and round(a, p) == round(r, p):
            return "precision", f"rounded to {p} decimal(s): {round(a, p)} (MathVista's rule)"
    if mode == "mathvision":
        a, r = _number(answer, unit), _number(problem.reference, unit)
        if a is not None and r is not None and round(a, 2) == round(r, 2):
            return "round2", f"equal at 2 decimals: {round(a, 2)} (MATH-V's rule)"
    return None


# --------------------------------------------------------------------------------------------
# the verifier

Outcome = tuple[str, str | None, str | None]          # status, path, detail
_Combine = Callable[[list[Verdict]], Outcome]


def _undecided(why: str) -> Outcome:
    return "error", "undecided", why


def _single(prefix: str) -> _Combine:
    def combine(vs: list[Verdict]) -> Outcome:
        v = vs[0]
        return v.status, f"{prefix}{v.path}" if v.path else prefix.rstrip(":"), v.detail
    return combine


def _option_text(letter: str) -> _Combine:
    def combine(vs: list[Verdict]) -> Outcome:
        v = vs[0]
        if v.status == "correct":
            return "correct", f"choice-text:{v.path}", f"equals the text of option {letter}"
        if v.decided:
            return "wrong", "choice-text", f"neither option {letter}'s letter nor its text ({v.detail or v.path})"
        return v.status, f"choice-text:{v.path}", v.detail
    return combine


def _all_items(n: int) -> _Combine:
    def combine(vs: list[Verdict]) -> Outcome:
        bad = [i for i, v in enumerate(vs) if v.decided and v.status != "correct"]
        if bad:
            return "wrong", "list", f"item {bad[0] + 1} of {n} differs"
        undecided = [v for v in vs if not v.decided]
        if undecided:
            return undecided[0].status, "list", f"an item could not be checked: {undecided[0].detail}"
        return "correct", "list", f"{n} items equal, in order"
    return combine


class VisualVerifier:
    """Verifies ``visual`` problems (:mod:`boundary.tasks.visual`) behind the
    :class:`~boundary.tasks.Verifier` protocol; the math checks share one :class:`MathVerifier`."""

    def __init__(self, config: VisualVerifyConfig | None = None):
        self.config = config or VisualVerifyConfig()
        self.engine = MathVerifier(self.config.math_config())
        self.name = self.config.verifier

    def verify_batch(self, items: Sequence[VerifyItem], progress: Callable[[int], None] | None = None
                     ) -> list[Verdict]:
        from boundary.verify.extract import extract_answer
        out: list[Verdict | None] = [None] * len(items)
        pairs: list[tuple[str, str, Mapping[str, Any] | None]] = []
        deferred: list[tuple[int, str, int, int, _Combine]] = []     # item, answer, first pair, count, combine
        for i, it in enumerate(items):
            answer = extract_answer(it.response or "").answer
            shown = None if answer is None else answer[:_MAX_STORED]
            if it.finish_reason == "length" and not self.config.allow_truncated:
                out[i] = Verdict("truncated", shown, "finish_reason", "hit the length limit")
                continue
            if answer is None or not answer.strip():
                out[i] = Verdict("no_answer", None, "extract", "no final answer found")
                continue
            planned = self._plan(answer, it.problem)
            if isinstance(planned[0], str):
                status, path, detail = planned
                out[i] = Verdict(status, shown, path, detail)
            else:
                item_pairs, combine = planned
                deferred.append((i, answer, len(pairs), len(item_pairs), combine))
                pairs.extend(item_pairs)
        verdicts = self.engine.check_answers(pairs) if pairs else []
        for i, answer, start, count, combine in deferred:
            status, path, detail = combine(verdicts[start:start + count])
            out[i] = Verdict(status, answer[:_MAX_STORED], path, detail)
        if progress:
            progress(len(items))
        return out  # type: ignore[return-value]

    def _plan(self, answer: str, problem: Problem) -> Any:
        """A decided outcome, or the math checks to run and how to combine their verdicts."""
        md = problem.metadata
        unit = md.get("unit") or None
        hints = {"unit": unit} if unit else None
        choices = md.get("choices")
        if choices:
            letter = choice_letter(answer, choices, unit)
            ref = problem.reference.strip().upper()
            if letter is not None:
                if LETTERS.index(letter) >= len(choices):
                    return "wrong", "choice", f"option {letter} does not exist ({len(choices)} options)"
                return ("correct" if letter == ref else "wrong"), "choice", f"option {letter}"
            if md.get("choices_in_image"):
                return _undecided("the options are drawn in the image: only an option letter can be checked")
            if ref not in LETTERS[:len(choices)]:
                return _undecided(f"the reference {problem.reference!r} is not an option letter")
            text = str(choices[LETTERS.index(ref)])
            return [(_clean(answer), text, hints)], _option_text(ref)
        if md.get("answer_type") == "list":
            got, want = split_list(answer), split_list(problem.reference)
            if want is None:
                return _undecided(f"the reference {problem.reference!r} is not a list")
            if got is None:
                return "wrong", "list", "the answer is not a list"
            if len(got) != len(want):
                return "wrong", "list", f"{len(got)} items for {len(want)}"
            return list(zip(got, want, [hints] * len(got))), _all_items(len(want))
        rule = _rule(self.config.mode, answer, problem)
        if rule is not None:
            return "correct", rule[0], rule[1]
        return [(answer, problem.reference, hints)], _single("")

    @property
    def checks(self) -> int:
        return self.engine.checks

    def close(self) -> None:
        self.engine.close()
