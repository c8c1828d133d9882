"""Math answer verification you can trust at k = 1024.

For each sample::

    finish_reason == "length"  ──► truncated            (unless allow_truncated)
    extract_answer(text)       ──► no_answer if none    (no last-number guessing by default)
    cache[(answer, reference, hints, grader)] ──► hit: reuse the verdict
    worker process, hard time limit:
        normalize both ─► equal strings ─► correct  (path "string")
                       ─► both exact numbers ─► compare as fractions (path "numeric")
                       ─► malformed (operator runs, unbalanced brackets, \\frac{3}{}) ─► wrong
                       ─► closed forms (3\\sqrt{13}, 288\\pi, 6-5i), tuples, expressions in
                          variables: rigorous interval evaluation proves "different" (or exact
                          "equal") without SymPy (path "numeric", verify/numeval.py)
                       ─► a constant against variables, a word or a tuple/set ─► wrong (path "type")
                       ─► complex numbers in polar form (e^{i\\pi/3}, \\sqrt{2}e^{i\\pi/4}): expanded
                          exactly with SymPy's I; a different angle or modulus is wrong
                          (2j is 2i when the reference is complex)
                       ─► multi-answer: match items as multisets (path "multiset")
                       ─► math-verify (SymPy) ─► then a 50-digit numeric re-check of "equal"
                          numbers, so rounding never makes 0.0000671 = 0.0000672 (path "symbolic");
                          "different" is retried with the arbitrary constants of a general solution
                          renamed (A + B/x for C + D/x) and with positive variables for roots
                          (\\sqrt{1/n} = 1/\\sqrt{n})
    overrun ──► timeout (the worker is killed and replaced); crash/memory ──► error

Timeouts and errors are recorded as such, never as "wrong". At n = 1024 most samples of a problem
share a few distinct answers, so the cache makes the cost grow with distinct answers, not
samples. ``grader="strict"`` swaps the checking function for the independent normalizer-only
grader of ``verify/strict.py`` behind the same interface (``boundary verify --compare``).
"""

from __future__ import annotations

import atexit
import functools
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from boundary.verify.verdict import Verdict

GRADERS = ("boundary", "strict")
#: Distinct pairs a worker checks before it is replaced (bounded caches; the pool's memory limit
#: catches any leak from outside).
WORKER_MAX_TASKS = 20_000
VERIFIER_VERSION = "boundary-math/1"
_MAX_STORED_ANSWER = 2000


@dataclass(frozen=True)
class MathVerifyConfig:
    """How math samples are verified. Defaults are the recommended settings."""

    timeout_s: float = 5.0
    """Hard wall-clock limit per distinct (answer, reference) check; overruns become ``timeout``."""
    allow_truncated: bool = False
    """Grade samples that hit the length limit as if complete (default: status ``truncated``)."""
    last_number_fallback: bool = False
    """When no final answer is marked, take the last number in the text (off: a response with no
    answer would otherwise be graded by a number it merely mentions)."""
    grader: str = "boundary"
    """``boundary`` (normalization + exact paths + math-verify) or ``strict`` (normalizer only)."""
    workers: int | None = None
    """Worker processes (default: CPU count)."""
    memory_mb: int = 2048
    """Address-space limit per worker; a blow-up becomes ``error``."""

    def __post_init__(self):
        if self.grader not in GRADERS:
            raise ValueError(f"grader must be one of {GRADERS}, got {self.grader!r}.")
        if not self.timeout_s > 0:
            raise ValueError(f"timeout_s must be > 0 seconds, got {self.timeout_s}.")
        if self.workers is not None and self.workers < 1:
            raise ValueError(f"workers must be >= 1, got {self.workers}.")

    @property
    def verifier(self) -> str:
        """The name recorded on every verdict: verifier version, grader and math-verify version."""
        try:
            from importlib.metadata import version
            mv = version("math-verify")
        except Exception:
            mv = "absent"
        return f"{VERIFIER_VERSION};grader={self.grader};math-verify={mv}"


# ----------------------------------------------------------------------------------- worker side
#: Answers beyond these limits are not handed to SymPy: such checks run into the time limit anyway
#: (towers, 200 KB sums, thousands of nested braces) and would cost the whole limit each.
GUARD_MAX_CHARS = 2000
GUARD_MAX_DEPTH = 40
GUARD_MAX_POWER_NESTING = 4
# x^{y^{z}}: an exponent that is itself a power of numbers
_TOWER = re.compile(r"\^\s*\{?\s*(\d+)\s*\^\s*\{?\s*(\d+)")


def _too_complex(s: str) -> str | None:
    if len(s) > GUARD_MAX_CHARS:
        return f"{len(s)} characters > {GUARD_MAX_CHARS}"
    depth = deepest = power = 0
    for ch in s:
        if ch == "{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch == "}":
            depth -= 1
    if deepest > GUARD_MAX_DEPTH:
        return f"brace nesting {deepest} > {GUARD_MAX_DEPTH}"
    tower = _TOWER.search(s)
    if tower and int(tower.group(1)) >= 10 and int(tower.group(2)) >= 10:
        return f"a power tower with exponent {tower.group(1)}^{tower.group(2)}: too large to evaluate"
    power = len(re.findall(r"\^\s*\{", s))
    if power > GUARD_MAX_POWER_NESTING and re.search(rf"(\^\s*\{{[^{{}}]*){{{GUARD_MAX_POWER_NESTING + 1}}}", s):
        return f"exponents nested more than {GUARD_MAX_POWER_NESTING} deep"
    return None


@functools.lru_cache(maxsize=2048)
def _parse_cached(s: str) -> tuple:
    """math-verify's parse of a normalized answer, once per worker: a reference is parsed once for
    all the answers compared with it (SymPy objects are immutable, so sharing them is safe).
    Exceptions are not cached; they propagate to the worker, which records an error."""
    from math_verify import ExprExtractionConfig, LatexExtractionConfig, parse
    config = [LatexExtractionConfig(boxed_match_priority=0), ExprExtractionConfig()]
    return tuple(parse(f"${s}$", extraction_config=config, parsing_timeout=None, raise_on_error=True))


def _symbolic(na: str, nr: str) -> tuple[str, str, str | None]:
    import logging
    why = _too_complex(na)
    if why is not None and _too_complex(nr) is None:
        # undecided, not "wrong": recorded as an error with the reason, never counted correct
        return "error", "guard", f"answer too complex to check symbolically ({why})"

    from math_verify import verify
    # We disable math-verify's own signal-based timeouts (the worker is killed from outside
    # instead); silence its warning that says so on every call.
    logging.getLogger("math_verify").setLevel(logging.ERROR)
    gold = _parse_cached(nr)
    if not gold:
        return "wrong", "symbolic", "reference not parseable; normalized strings differ"
    pred = _parse_cached(na)
    if not pred:
        return "wrong", "symbolic", "answer not parseable; normalized strings differ"
    if not verify(list(gold), list(pred), timeout_seconds=None, raise_on_error=True):
        return "wrong", "symbolic", None
    # math-verify rounds floats to 6 decimals and compares tiny values loosely: re-check numbers.
    g, p = gold[0], pred[0]
    if _is_plain_number(g) and _is_plain_number(p):
        a, b = g.evalf(50), p.evalf(50)
        scale = max(abs(a), abs(b))
        if scale != 0 and abs(a - b) > scale * 1e-12:
            return "wrong", "symbolic+numeric", "equal after rounding, different at 50 digits"
    return "correct", "symbolic", None


#: a capital letter, optionally with a digit subscript: an arbitrary constant in a general solution
_CONSTANT = re.compile(r"(?<![\\A-Za-z])([A-Z](?:_\{?\d\}?)?)(?![A-Z])")
_ARBITRARY = re.compile(r"[ABCDK](?:_\{?\d\}?)?")
_LOWER_VARIABLE = re.compile(r"(?<![\\a-z])[a-z](?![a-z])")


def _renamed_constants(na: str, nr: str) -> tuple[str, str, str | None] | None:
    """A general solution whose arbitrary constants have other names (``A + B/x - x`` for
    ``C + D/x - x``): correct when some renaming makes it equal. Only when each side has 1-3
    constants (A, B, C, D, K, C_1, ...) the other side does not use, both are expressions in the
    same lowercase variable (``2A`` against ``2B`` stays wrong: A and B may be given quantities),
    and no ``\\text``; a shared constant is never renamed (``A - B`` against ``B - A`` stays wrong)."""
    import itertools
    if "\\text" in na or "\\text" in nr:
        return None
    ta, tr = set(_CONSTANT.findall(na)), set(_CONSTANT.findall(nr))
    ea, er = sorted(ta - tr), sorted(tr - ta)
    if not 1 <= len(ea) == len(er) <= 3 or not all(_ARBITRARY.fullmatch(c) for c in ea + er):
        return None
    shared_lower = set(_LOWER_VARIABLE.findall(na)) & set(_LOWER_VARIABLE.findall(nr))
    if not shared_lower:
        return None
    # math-verify reads symbols case-insensitively: a target name must not be a variable of the answer
    if any(c[0].lower() in set(_LOWER_VARIABLE.findall(na)) for c in er):
        return None
    def rename(mapping: dict[str, str]) -> str:
        return _CONSTANT.sub(lambda m: mapping.get(m.group(1), m.group(1)), na)

    for perm in itertools.permutations(er):
        mapping: dict[str, str] = dict(zip(ea, perm))
        renamed = rename(mapping)
        if _symbolic(renamed, nr)[0] == "correct":
            how = ", ".join(f"{a}→{b}" for a, b in mapping.items())
            return "correct", "symbolic", f"equal after renaming the arbitrary constants ({how})"
    return None


def _positive_variables(na: str, nr: str) -> tuple[str, str, str | None] | None:
    """Roots of expressions in variables (``\\sqrt{1/n}`` against ``\\frac{1}{\\sqrt{n}}``) are equal
    when the variables are positive, as a problem's n, x > 0 usually are. Only when both sides have
    a non-integer power (a root on one side only, ``\\sqrt{x^2}`` against ``x``, stays wrong), no
    absolute value, and the difference simplifies to exactly 0 with every variable positive."""
    import sympy
    if "|" in na + nr or "\\vert" in na + nr:
        return None
    a, b = _parse_cached(na), _parse_cached(nr)
    if not a or not b or not isinstance(a[0], sympy.Expr) or not isinstance(b[0], sympy.Expr):
        return None
    x, y = a[0], b[0]
    if not x.free_symbols or not y.free_symbols:
        return None

    def has_root(e) -> bool:
        return any(p.exp.is_integer is False or (p.exp.is_Rational and not p.exp.is_Integer)
                   for p in e.atoms(sympy.Pow))
    if not has_root(x) or not has_root(y):
        return None
    pos = {v: sympy.Symbol(v.name, positive=True) for v in x.free_symbols | y.free_symbols
           if isinstance(v, sympy.Symbol)}
    if sympy.simplify(x.subs(pos) - y.subs(pos)) == 0:
        return "correct", "symbolic", "equal when the variables are positive"
    return None


def _is_plain_number(x: Any) -> bool:
    try:
        import sympy
        return isinstance(x, sympy.Expr) and x.is_number and not x.free_symbols and bool(x.is_finite)
    except Exception:
        return False


_DIGITS = re.compile(r"-?\d+")
# a number written in a base: 4210_{5}, 1011_2
_BASE = re.compile(r"([0-9A-Za-z]+)_\{?(\d+)\}?")
# operator runs no well-formed LaTeX answer contains; math-verify's parser would read only the part
# before them (`2 ** 3` -> 2, `1 +* 9` -> 1) and accept a malformed answer
_MALFORMED = re.compile(r"\*\*|[-+*/]\s*[*/]|(?<!\\)&|//")
# a fraction or root with an empty argument: \frac{3}{}, \sqrt{}
_EMPTY_ARG = re.compile(r"\\[dt]?frac\s*(?:\{\s*\}|\{[^{}]*\}\s*\{\s*\})|\\sqrt\s*\{\s*\}")
_DELIMS = re.compile(r"\\[{}]|\\(?:left|right|big|Big|bigg|Bigg)[lr]?\s*(?:\\[{}|]|[.()\[\]|])|[{}()\[\]]")


def _unbalanced(s: str) -> str | None:
    """Why ``s`` is not a well-formed answer (unbalanced braces or brackets, an empty fraction
    argument), or None. Intervals may mix brackets: ``[2, 5)`` is balanced. A ``\\left.`` or
    ``\\right.`` (invisible delimiter) makes the bracket count meaningless: no verdict."""
    if _EMPTY_ARG.search(s):
        return "an empty argument to \\frac or \\sqrt"
    braces = brackets = 0
    for m in _DELIMS.finditer(s):
        tok = m.group(0)
        if tok.endswith("."):
            return None
        last = tok[-1]
        if tok in ("{", "}"):
            braces += 1 if tok == "{" else -1
        elif last in "([" or tok.endswith("\\{"):
            brackets += 1
        elif last in ")]" or tok.endswith("\\}"):
            brackets -= 1
        if braces < 0 or brackets < 0:
            return "a closing bracket before its opening one"
    if braces or brackets:
        return "unbalanced braces or brackets"
    return None


_COMMANDS = re.compile(r"\\[a-zA-Z]+")
_CONSTANT_LETTERS = set("ei")          # Euler's number and the imaginary unit


def _has_free_variables(s: str) -> bool:
    """Letters left after removing LaTeX commands (\\pi, \\sqrt, \\text{...} words excluded)."""
    bare = re.sub(r"\\(?:text|mathrm|textbf|mbox|operatorname)\s*\{[^{}]*\}", "", s)
    bare = _COMMANDS.sub("", bare)
    return any(c.isalpha() and c not in _CONSTANT_LETTERS for c in bare)


def _is_structured(s: str) -> bool:
    from boundary.verify.normalize import split_items
    t = s.strip()
    if t[:1] in "([" and t[-1:] in ")]" and "," in t:
        return True                                        # tuple or interval
    if t.startswith("\\{") or "\\cup" in t:
        return True                                        # set or union
    items = split_items(t)
    return bool(items and len(items) > 1)


#: a normalized time of day (normalize._time_of_day): \text{4:30}, \text{4:30pm}, \text{16:30:05}
_CLOCK = re.compile(r"\\text\{(\d{1,2}):(\d\d)(?::(\d\d))?(am|pm)?\}")


def _clock_readings(m: re.Match) -> set[tuple[int, int, int]]:
    """The (hour 0-23, minute, second) readings a written time can mean: ``4:30pm`` one, ``16:30``
    one, ``4:30`` two (a reference or answer without a.m./p.m. does not say which half of the
    day), ``12:00`` two (noon or midnight). ``16:30pm`` (contradictory) none."""
    h, minute, sec, half = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0), m.group(4)
    if half:
        if not 1 <= h <= 12:
            return set()
        return {(h % 12 + (12 if half == "pm" else 0), minute, sec)}
    if 1 <= h <= 12:
        return {(h % 12, minute, sec), (h % 12 + 12, minute, sec)}
    return {(h, minute, sec)}


#: Decide answers that are plainly not mathematics (prose, code, ``wrong-123456``) against a
#: constant reference without SymPy (~16 ms each). A switch only so that bench/bench_verify.py
#: can time both ways on the same input.
CHEAP_NON_MATH = True
#: names SymPy/math-verify read as functions or constants, not as a product of letters
_MATH_NAMES = frozenset(
    "sin cos tan cot sec csc arcsin arccos arctan arccot asin acos atan sinh cosh tanh coth log "
    "ln lg exp sqrt lim max min gcd lcm mod det deg dim abs floor ceil sgn sign arg cis infty inf "
    "oo pi phi theta alpha beta gamma delta sum prod int binom choose frac dfrac tfrac cdot times "
    "div pm mp circ rad re im".split())
_WORD = re.compile(r"(?<![\\A-Za-z])[A-Za-z]{3,}")
_CODE = re.compile(r"\bdef |\breturn\b|\bprint\(|\bimport |```|==|!=|=>|\bTrue\b|\bFalse\b|\bNone\b")


def _not_mathematics(answer: str, na: str) -> str | None:
    """Why ``answer`` is plainly not a mathematical expression, or None: it contains code, a
    contradictory multiple-choice answer (``\\text{B?14}``), or a word of 3+ letters that is not a
    function or constant name (SymPy would read ``wrong`` as the product w·r·o·n·g, which equals no
    constant). Only used when the reference is a constant (a number or closed form)."""
    if "?" in na:
        return "a contradictory multiple-choice answer"
    if _CODE.search(answer):
        return "code"
    plain = re.sub(r"\\[a-zA-Z]+", " ", answer)
    for m in _WORD.finditer(plain):
        if m.group(0).lower() not in _MATH_NAMES:
            return f"the word {m.group(0)[:40]!r}"
    return None


_TEXT_ONLY = re.compile(r"\\text\{[A-Za-z][A-Za-z ]*\}")
#: engineering notation: j for the imaginary unit (2j, 3+4j, -j)
_J_UNIT = re.compile(r"(?<![\\A-Za-z])j(?![A-Za-z])")
#: a complex number in polar (exponential) form: e^{i\pi/3}, \sqrt{2}e^{\pi i/4}, e^{i 2\pi/3}
_POLAR = re.compile(r"(?<![\\A-Za-z])e\^\{[^{}]*(?<![A-Za-z])i(?![A-Za-z])")


def _is_complex(v) -> bool:
    """A value from numeval.evaluate with a nonzero imaginary part."""
    return v is not None and not v[1].has_zero()


def _engineering_j(na: str, nr: str) -> str:
    """``2j`` is ``2i`` when the reference is a complex number written with i and the answer has no
    other letter (a j among other variables, or against a real reference, stays a variable)."""
    from boundary.verify.numeval import evaluate
    if "j" not in na or "i" in na or not _is_complex(evaluate(nr)):
        return na
    with_i = _J_UNIT.sub("i", na)
    return with_i if evaluate(with_i) is not None else na


def _polar(na: str, nr: str) -> tuple[str, str, str | None] | None:
    """A complex constant in exponential form against another complex constant (either side): both
    parsed by math-verify with i as the imaginary unit, the difference expanded into real and
    imaginary parts: exactly zero is correct, a difference of more than 1e-12 (relative, 50 digits)
    is wrong, anything else (free variables, undecided) goes on to the symbolic path."""
    import sympy
    if _too_complex(na) or _too_complex(nr):
        return None
    a, b = _parse_cached(na), _parse_cached(nr)
    if not a or not b or not isinstance(a[0], sympy.Expr) or not isinstance(b[0], sympy.Expr):
        return None
    # math-verify's i is a Symbol named "i" (with assumptions of its own), not sympy.I
    x, y = ({v: sympy.I for v in e.free_symbols if getattr(v, "name", None) == "i"} for e in (a[0], b[0]))
    x, y = a[0].subs(x), b[0].subs(y)
    if x.free_symbols or y.free_symbols:
        return None
    d = sympy.expand_complex(x - y)
    if sympy.simplify(d) == 0:
        return "correct", "symbolic", "complex numbers equal (polar form expanded)"
    xv, yv, dv = (complex(z.evalf(50)) for z in (x, y, d))
    if abs(dv) > 1e-12 * max(abs(xv), abs(yv), 1e-300):
        return "wrong", "numeric", "complex numbers differ (polar form expanded, 50 digits)"
    return None


def _grade_one(answer: str, reference: str, hints: Mapping) -> tuple[str, str, str | None]:
    from boundary.verify.normalize import normalize_answer, parse_number
    from boundary.verify.numeval import differ, differ_items, evaluate, same_point
    na, nr = normalize_answer(answer, hints), normalize_answer(reference, hints)
    if not na:
        return "no_answer", "normalize", "answer is empty after normalization"
    if na == nr:
        return "correct", "string", None
    na = _engineering_j(na, nr)
    if na == nr:
        return "correct", "string", "j read as the imaginary unit"
    ta, tr = _CLOCK.fullmatch(na), _CLOCK.fullmatch(nr)
    if ta and tr:
        same = bool(_clock_readings(ta) & _clock_readings(tr))
        return ("correct" if same else "wrong"), "time", "times of day compared as clock readings"
    if _DIGITS.fullmatch(na) and _DIGITS.fullmatch(nr):      # no int() of huge digit strings
        same = na.startswith("-") == nr.startswith("-") and na.lstrip("-").lstrip("0") == nr.lstrip("-").lstrip("0")
        return ("correct" if same else "wrong"), "numeric", None
    ba, br = _BASE.fullmatch(na), _BASE.fullmatch(nr)
    if ba and br:
        same = ba.group(2) == br.group(2) and ba.group(1).lstrip("0").lower() == br.group(1).lstrip("0").lower()
        return ("correct" if same else "wrong"), "string", "numbers in a base: digits and base compared"
    if _MALFORMED.search(na) and "\\begin" not in na and not _MALFORMED.search(nr):
        return "wrong", "malformed", "the answer is not well-formed (operator run such as ** or +*)"
    why = _unbalanced(na)
    if why is not None and _unbalanced(nr) is None:
        return "wrong", "malformed", f"the answer is not well-formed ({why})"
    xa, xr = parse_number(na), parse_number(nr)
    if xa is not None and xr is not None:
        return ("correct" if xa == xr else "wrong"), "numeric", None
    # closed-form constants (3\sqrt{13}, 288\pi, 6-5i, ...): evaluated in interval arithmetic,
    # which proves most wrong answers different without SymPy (never decides "correct")
    va, vr = evaluate(na), evaluate(nr)
    if va is not None and vr is not None:
        if differ(va, vr):
            return "wrong", "numeric", "values differ (interval arithmetic)"
        if same_point(va, vr):
            return "correct", "numeric", "equal exact values (i^2 = -1, 2^{10} = 1024)"
    ca, cr = xa is not None or va is not None, xr is not None or vr is not None
    if ca != cr:
        # a constant against an expression in free variables (46 vs p - q), a tuple, interval or
        # set, or a word answer: different kinds of answer, no need for SymPy
        # (free variables only on the reference side: an answer like "x = 2 + 3 = 5" still goes on)
        other = nr if ca else na
        if (ca and (_has_free_variables(nr) or _TEXT_ONLY.fullmatch(nr))) or _is_structured(other):
            return "wrong", "type", "a number against an expression with variables, a word, or a tuple/interval/set"
    if not ca and not cr:
        if differ_items(na, nr):
            return "wrong", "numeric", "tuples/intervals with a differing coordinate (interval arithmetic)"
        wa, wr = evaluate(na, variables=True), evaluate(nr, variables=True)
        if wa is not None and wr is not None and differ(wa, wr):
            return "wrong", "numeric", "expressions differ at a sample point (interval arithmetic)"
    if CHEAP_NON_MATH and cr and not ca:
        why = _not_mathematics(answer, na)
        if why is not None:
            return "wrong", "type", f"not a mathematical answer ({why}) against a constant"
    if (_POLAR.search(na) or _POLAR.search(nr)) and (_is_complex(va) or _is_complex(vr) or not (ca and cr)):
        polar = _polar(na, nr)
        if polar is not None:
            return polar
    verdict = _symbolic(na, nr)
    if verdict == ("wrong", "symbolic", None):
        return _renamed_constants(na, nr) or _positive_variables(na, nr) or verdict
    return verdict


def _grade_multiset(answer: str, reference: str, hints: Mapping) -> tuple[str, str, str | None] | None:
    from boundary.verify.normalize import normalize_answer, split_items
    ra = split_items(normalize_answer(answer, hints))
    rr = split_items(normalize_answer(reference, hints))
    if not ra or not rr or len(rr) < 2 and len(ra) < 2:
        return None
    if len(ra) != len(rr):
        return "wrong", "multiset", f"{len(ra)} answers for {len(rr)} reference answers"
    left = list(rr)
    for item in ra:
        for j, ref in enumerate(left):
            if _grade_one(item, ref, hints)[0] == "correct":
                del left[j]
                break
        else:
            return "wrong", "multiset", "an answer matches no reference answer"
    return "correct", "multiset", None


#: Answers longer than this skip normalization (its regular expressions cost ~0.5 s on 200 KB):
#: a digit string is compared as digits, anything else is undecided (it would reach the guard).
HUGE_ANSWER = 10 * GUARD_MAX_CHARS
_HUGE_DIGITS = re.compile(r"\s*(-?)\s*(\d+)\s*")


def _grade_huge(answer: str, reference: str, hints: Mapping) -> tuple[str, str, str | None]:
    from boundary.verify.normalize import normalize_answer
    m = _HUGE_DIGITS.fullmatch(answer)
    if m is not None:
        nr = normalize_answer(reference, hints)
        if _DIGITS.fullmatch(nr):
            same = (m.group(1) == "-") == nr.startswith("-") and \
                m.group(2).lstrip("0") == nr.lstrip("-").lstrip("0")
            return ("correct" if same else "wrong"), "numeric", None
    return "error", "guard", f"answer too long to check ({len(answer)} characters > {HUGE_ANSWER})"


def grade(answer: str, reference: str, hints_json: str, grader: str) -> tuple[str, str, str | None]:
    """Runs in a worker process: grade one distinct (answer, reference) pair."""
    import sys
    # a 200 KB digit string is an answer like any other (wrong, usually), not a crash; the hard
    # time limit bounds the quadratic conversion
    sys.set_int_max_str_digits(0)
    hints = json.loads(hints_json) if hints_json else {}
    if grader != "strict" and len(answer) > HUGE_ANSWER >= len(reference):
        return _grade_huge(answer, reference, hints)
    if grader != "strict":
        from boundary.verify.units import convert_to_problem_unit
        answer = convert_to_problem_unit(answer, reference, hints)
    if grader == "strict":
        from boundary.verify.strict import strict_grade
        v = strict_grade(answer, reference, hints)
        return v.status, v.path or "strict", v.detail
    if hints.get("is_multiple_answer"):
        multi = _grade_multiset(answer, reference, hints)
        if multi is not None:
            return multi
    return _grade_one(answer, reference, hints)


#: Typical pairs graded once in the workers' forkserver (``boundary.verify.warm``): most of
#: them reach math-verify, so its parser tables (ANTLR builds its DFA lazily, per process), SymPy's
#: caches and the normalizer's patterns are built once, before any worker is forked from it.
_WARM_UP = (
    ("\\frac{\\pi}{2}", "\\pi/2"), ("\\sqrt{117}", "3\\sqrt{13}"), ("2x+1", "1+2x"),
    ("x^2-1", "(x-1)(x+1)"), ("(x,\\frac{\\pi}{2})", "\\left( x, \\pi/2 \\right)"),
    ("[2,\\sqrt{25})", "[2, 5)"), ("(-\\infty,2)\\cup(3,\\infty)", "(-\\infty, 2) \\cup (4, \\infty)"),
    ("\\{1,2\\}", "\\{2,1\\}"), ("6-5i", "6 - \\sqrt{25}i"), ("x = 3", "x = \\sqrt{9}"),
    ("\\text{even}", "\\text{odd}"),
    ("\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}", "\\begin{pmatrix} 1 \\\\ 3 \\end{pmatrix}"),
    ("5x - 7y + 11z + 4 = 0", "5x-7y+11z+5=0"), ("4210_{5}", "555"), ("\\undefinedmacro{3}", "3"),
    ("12\\pi", "37.69"), ("0.5", "\\frac{1}{2}"), ("\\frac{\\sqrt{3}}{3}", "\\frac{1}{\\sqrt{3}}"),
)


def warm_up() -> None:
    """Grade ``_WARM_UP`` in this process, ignoring every failure (a warm-up must never stop the
    forkserver from starting)."""
    for answer, reference in _WARM_UP:
        try:
            grade(answer, reference, "", "boundary")
        except Exception:
            pass


# ----------------------------------------------------------------------------------- parent side
@dataclass(frozen=True)
class MathItem:
    """One sample to verify."""

    response: str
    reference: str
    hints: Mapping[str, Any] | None = None
    """Answer-type hints from the problem: unit, is_multiple_answer, answer_type, choices."""
    finish_reason: str | None = None
    """``length`` marks a sample cut off by the token limit."""


_NO_ANSWER = Verdict("no_answer", None, "extract", "no final answer found")


def _as_item(x) -> MathItem:
    if isinstance(x, MathItem):
        return x
    if isinstance(x, Mapping):
        return MathItem(response=x["response"], reference=x["reference"], hints=x.get("hints"),
                        finish_reason=x.get("finish_reason"))
    if isinstance(x, tuple) and 2 <= len(x) <= 4:
        return MathItem(*x)
    raise TypeError(f"cannot verify {type(x).__name__}: pass MathItem, a dict with response/reference, "
                    "or a tuple (response, reference[, hints[, finish_reason]]).")


class MathVerifier:
    """Owns the worker pool and the cache; build once, verify many batches.

    Examples:
        >>> with MathVerifier(MathVerifyConfig(workers=1)) as v:
        ...     v.verify("so the answer is $\\\\boxed{\\\\frac{1}{2}}$", "0.5").status
        'correct'
    """

    def __init__(self, config: MathVerifyConfig = MathVerifyConfig()):
        self.config = config
        self._pool = None
        self.cache: dict[tuple, tuple[str, str, str | None]] = {}
        self.checks = 0
        """Distinct pairs actually checked (cache misses)."""

    def _get_pool(self):
        if self._pool is None:
            from boundary.verify.pool import WorkerPool
            self._pool = WorkerPool("boundary.verify.math:grade", workers=self.config.workers,
                                    timeout_s=self.config.timeout_s, memory_mb=self.config.memory_mb,
                                    # a worker's caches (parsed references) are worth keeping; its
                                    # memory is watched from outside anyway
                                    max_tasks=WORKER_MAX_TASKS,
                                    preload=("math_verify", "sympy", "boundary.verify.normalize",
                                             "boundary.verify.strict", "boundary.verify.warm"))
        return self._pool

    def verify(self, response: str, reference: str, *, hints: Mapping | None = None,
               finish_reason: str | None = None) -> Verdict:
        return self.verify_batch([MathItem(response, reference, hints, finish_reason)])[0]

    def verify_batch(self, items: Iterable, progress: Callable[[int], None] | None = None) -> list[Verdict]:
        """Verdicts for many samples, in order. Each distinct (answer, reference) is checked once.

        Answers are extracted while the workers check the pairs found so far (the pool takes the
        pairs from a generator), so extraction in this process overlaps with checking."""
        from boundary.verify.extract import extract_answer
        items = [_as_item(x) for x in items]
        out: list[Verdict | None] = [None] * len(items)
        item_keys: list[tuple | None] = [None] * len(items)
        pending: list[tuple] = []            # distinct uncached keys, in first-seen order
        seen: set[tuple] = set()
        grader, fallback = self.config.grader, self.config.last_number_fallback
        allow_truncated = self.config.allow_truncated

        def new_keys():
            for i, it in enumerate(items):
                if not isinstance(it.response, str) or not isinstance(it.reference, str):
                    out[i] = Verdict("error", None, "input", "response and reference must be strings")
                    continue
                ext = extract_answer(it.response, last_number_fallback=fallback)
                if it.finish_reason == "length" and not allow_truncated:
                    shown = None if ext.answer is None else ext.answer[:_MAX_STORED_ANSWER]
                    out[i] = Verdict("truncated", shown, "finish_reason", "hit the length limit")
                    continue
                if ext.answer is None or not ext.answer.strip():
                    out[i] = _NO_ANSWER
                    continue
                hints = json.dumps(dict(it.hints), sort_keys=True, default=str) if it.hints else ""
                key = (ext.answer, it.reference, hints, grader)
                item_keys[i] = key
                if key in self.cache or key in seen:
                    continue
                seen.add(key)
                pending.append(key)
                yield key

        outcomes = self._get_pool().map(new_keys(), progress=None)
        self.checks += len(pending)
        for key, o in zip(pending, outcomes):
            if o.status == "ok":
                self.cache[key] = tuple(o.value)
            else:
                self.cache[key] = (o.status, "worker", o.detail)
        shared: dict[tuple, Verdict] = {}     # verdicts are immutable: one per distinct key
        for i, item_key in enumerate(item_keys):
            if out[i] is None:
                assert item_key is not None  # new_keys() gave every item without a verdict a key
                key = item_key
                v = shared.get(key)
                if v is None:
                    status, path, detail = self.cache[key]
                    v = shared[key] = Verdict(status, key[0][:_MAX_STORED_ANSWER], path, detail)
                out[i] = v
        if progress:
            progress(len(items))
        return out  # type: ignore[return-value]

    def check_answers(self, pairs: Iterable[tuple[str, str, Mapping[str, Any] | None]]) -> list[Verdict]:
        """Grade answers that were already extracted: one verdict per ``(answer, reference, hints)``, in
        order, through the same cache, exact paths and time-limited workers as :meth:`verify_batch`
        (no extraction, no truncation check: the caller did those). For verifiers that build on this
        one (the visual kind's list items and option texts)."""
        keys: list[tuple] = []
        pending: list[tuple] = []
        seen: set[tuple] = set()
        for answer, reference, hints in pairs:
            h = json.dumps(dict(hints), sort_keys=True, default=str) if hints else ""
            key = (answer, reference, h, self.config.grader)
            keys.append(key)
            if key not in self.cache and key not in seen:
                seen.add(key)
                pending.append(key)
        if pending:
            outcomes = self._get_pool().map(iter(pending), progress=None)
            self.checks += len(pending)
            for key, o in zip(pending, outcomes):
                self.cache[key] = tuple(o.value) if o.status == "ok" else (o.status, "worker", o.detail)
        out = []
        for key in keys:
            status, path, detail = self.cache[key]
            out.append(Verdict(status, key[0][:_MAX_STORED_ANSWER], path, detail))
        return out

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    def __enter__(self) -> MathVerifier:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


_DEFAULT: dict[MathVerifyConfig, MathVerifier] = {}


def _default(config: MathVerifyConfig | None) -> MathVerifier:
    config = config or MathVerifyConfig()
    if config not in _DEFAULT:
        _DEFAULT[config] = MathVerifier(config)
    return _DEFAULT[config]


@atexit.register
def _close_defaults() -> None:
    for v in _DEFAULT.values():
        v.close()


def verify_math(response: str, reference: str, *, hints: Mapping | None = None,
                finish_reason: str | None = None, config: MathVerifyConfig | None = None) -> Verdict:
    """Verify one math response against a reference answer.

    Goes through the same extraction, cache, exact paths and worker time limits as ``boundary
    verify``. Not symmetric: ``reference`` is the gold answer.

    Examples:
        >>> verify_math("The answer is $\\\\boxed{10\\\\,080}$.", "10080").status
        'correct'
        >>> verify_math("I think it is 42 or so", "42").status      # no marked final answer
        'no_answer'
    """
    return _default(config).verify(response, reference, hints=hints, finish_reason=finish_reason)


def verify_math_batch(items: Iterable, *, config: MathVerifyConfig | None = None,
                      progress: Callable[[int], None] | None = None) -> list[Verdict]:
    """Verify many (response, reference[, hints[, finish_reason]]) items; verdicts in input order."""
    return _default(config).verify_batch(items, progress=progress)

