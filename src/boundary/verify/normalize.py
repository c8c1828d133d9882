"""Canonical forms of final answers: string keys for the cache, exact numbers for the fast path,
and well-formed LaTeX for math-verify.

``normalize_answer(s, hints)`` applies, in order:

- unicode math (``−``, ``×``, ``√``, ``π``, ``∞``, ``°``, ``≤``, thin spaces) to LaTeX;
- delimiters: ``$``, ``\\(``/``\\)``, ``\\[``/``\\]``, a whole-answer ``\\boxed{}``; ``\\displaystyle``,
  ``\\left``/``\\right``, ``\\big``; ``\\dfrac``/``\\tfrac``/``\\cfrac`` → ``\\frac``;
- thousands separators → plain digits, but only groups of exactly three digits:
  ``10\\,080``, ``10 080``, ``10{,}080``, ``10,\\!080``, ``1,000,000`` → ``10080``/``1000000``
  (a bare comma only when the number is not inside brackets or a list and the problem is not a
  multi-answer one: ``1, 2, 3`` and ``(1,100)`` stay lists/tuples);
- **percent**: the sign is dropped (``50\\%`` → ``50``); we compare the number that was written,
  never ``x/100`` (so ``50\\%`` equals ``50`` but not ``0.5``);
- **degrees**: ``^\\circ``, ``^{\\circ}``, ``°``, ``\\degree``, a trailing "degrees" are dropped;
- dollars ``\\$`` dropped; units: a trailing ``\\text{ cm}``/``\\mathrm{~m}``/``\\mbox{ inches}^2``
  after a number is dropped; with ``hints["unit"]`` (OlympiadBench) that unit is dropped too;
- ``\\text{..}``/``\\mathrm{..}``/``\\textbf{..}``/``\\mbox{..}`` unwrapped; an answer that is
  only words (``\\text{Evelyn}``, ``east``) becomes ``\\text{evelyn}`` (lower case, one symbol for
  math-verify, which would otherwise read ``east`` as the product ``e·a·s·t``);
- spacing ``\\!``, ``\\,``, ``\\;``, ``\\:``, ``~``, ``\\quad`` and all whitespace removed (except
  between a command and a letter: ``\\pi k``);
- TeX shorthand ``\\frac34`` → ``\\frac{3}{4}``, ``\\sqrt3`` → ``\\sqrt{3}``, malformed ``\\sqrt(2)``
  → ``\\sqrt{2}``;
- words ``infinity``/``inf`` → ``\\infty``; ``\\leq``/``\\geqslant``/... → ``\\le``/``\\ge``;
- "and" between items → comma (``2 and 3`` → ``2,3``);
- **equations**: ``x = 3`` → ``3`` only when the left side is a single variable and the right side
  has no letters (``y = 2x + 1`` is kept, an equation is an answer there); ``x \\in [-2,7]`` →
  ``[-2,7]``; a list ``x=1, x=2`` → ``1,2``;
- single-variable inequalities → intervals (``-2 \\le x \\le 7`` → ``[-2,7]``, ``x > 5`` →
  ``(5,\\infty)``, ``x<-1 \\text{ or } x>3`` → ``(-\\infty,-1)\\cup(3,\\infty)``);
- plain numbers (also each item of a list or tuple) → canonical exact form: integers as digits,
  other rationals as ``\\frac{p}{q}`` (decimals, ``1.2e5``, ``1.2\\times10^{5}``, repeating
  decimals ``0.\\overline{3}``/``0.(3)``/``0.\\dot{3}``, mixed numbers ``1\\frac{4}{5}``);
- times of day ``4:30`` → ``\\text{4:30}`` (never the ratio 4/30), ``4:30\\text{ p.m.}``/``4pm``/
  ``12:00 noon`` → ``\\text{4:30pm}``/``\\text{4:00pm}``/``\\text{12:00pm}`` (recognised before units
  are dropped; math.py compares them as clock readings, ``16:30`` = ``4:30pm``);
- mixed numbers with a slash ``2 1/2`` (proper fraction after one space) → ``\\frac{5}{2}``;
- a number times a matrix of numbers (``\\frac{1}{49}\\begin{pmatrix}16\\\\48\\end{pmatrix}``) →
  the matrix of the products; a one-column ``pmatrix``/``bmatrix`` → the tuple ``(a,b,c)``;
- separators ``1,00,000`` (Indian), ``1'000'000``, ``1\\_000``, ``1.234.567`` (2+ dot groups) → digits;
- multiple choice: ``(B)``, ``\\text{(B)}``, ``(B) 42`` → ``B`` always; ``B``, ``B) 42``,
  ``B. 42``, option text → ``B`` when ``hints["choices"]`` (or ``hints["multiple_choice"]``) is set.

The result is idempotent: ``normalize_answer(normalize_answer(s)) == normalize_answer(s)``.
Strings longer than ``_MAX_LEN`` get only the linear steps (no unit/text handling, shorthand,
equations or number canonicalization).

Known limitations: base subscripts (``52_8``) are left as written, so math-verify reads them as
52; a bare comma between a 1-3 digit and a 3-digit group outside brackets (``1,100``) is read as a
thousands separator; times of day are recognised only as ``H:MM`` with optional am/pm; a word
answer of 3+ letters (``abc``) becomes one symbol ``\\text{abc}``; unit words are dropped only
from a fixed list, from ``\\text``-like groups after a number, or from ``hints["unit"]``.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from fractions import Fraction

__all__ = ["normalize_answer", "parse_number", "split_items", "canonical_number"]

_MAX_LEN = 20_000            # longer strings get only the cheap, linear steps
_MAX_DIGITS = 4_000          # Python refuses int() of longer digit strings
_MAX_EXPONENT = 1_000        # 1e999999999 must not allocate a billion-digit integer


# --------------------------------------------------------------------------------------------
# public API

_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def normalize_answer(s: str, hints: Mapping | None = None) -> str:
    """Canonical LaTeX-ish form of an answer (see the module docstring)."""
    if s is None:
        return ""
    # Control characters never belong to an answer, and \x00/\x01 are placeholders below.
    s = _CONTROL_CHARS.sub("", str(s))
    key = _hints_key(hints)
    if len(s) > _MAX_LEN:
        return _normalize(s, dict(hints or {}))
    return _normalize_cached(s, key)


def parse_number(s: str) -> Fraction | None:
    """Exact value of a plain number (integer, decimal, fraction, scientific, repeating decimal,
    percent without its sign, thousands separators); None for anything else."""
    if s is None:
        return None
    return _number_value(normalize_answer(s))


def split_items(s: str) -> list[str] | None:
    """Top-level comma-separated items of ``s`` (brackets respected), or None if not a list.

    A whole-answer set ``\\{a, b\\}`` is split into its items; a single tuple ``(a, b)`` or
    interval is not a list (None)."""
    s = s.strip()
    inner = _strip_set_braces(s)
    if inner is not None:
        items = _split_top(inner)
        return [x.strip() for x in items] if items is not None else [inner.strip()]
    items = _split_top(s)
    if items is None or len(items) < 2:
        return None
    return [x.strip() for x in items]


def canonical_number(x: Fraction) -> str:
    """``7``, ``-3``, ``\\frac{3}{4}``, ``-\\frac{1}{2}``."""
    if x.denominator == 1:
        return str(x.numerator)
    sign = "-" if x < 0 else ""
    return f"{sign}\\frac{{{abs(x.numerator)}}}{{{x.denominator}}}"


# --------------------------------------------------------------------------------------------
# hints

def _hints_key(hints: Mapping | None) -> str:
    if not hints:
        return ""
    useful = {k: hints[k] for k in ("unit", "is_multiple_answer", "choices", "multiple_choice")
              if k in hints and hints[k]}
    return json.dumps(useful, sort_keys=True, default=str) if useful else ""


@functools.lru_cache(maxsize=8192)
def _normalize_cached(s: str, key: str) -> str:
    return _normalize(s, json.loads(key) if key else {})


# --------------------------------------------------------------------------------------------
# the pipeline

_UNICODE = {
    "\u2212": "-", "\u2013": "-", "\u2014": "-", "\u00d7": "\\times ", "\u22c5": "\\cdot ",
    "\u00b7": "\\cdot ", "\u221a": "\\sqrt", "\u03c0": "\\pi ", "\u221e": "\\infty ",
    "\u00b0": "^\\circ ", "\u2264": "\\le ", "\u2265": "\\ge ", "\u2260": "\\ne ",
    "\u00b1": "\\pm ", "\u2009": "\\,", "\u202f": "\\,", "\u00a0": " ", "\u2032": "'",
    "\uff0c": ",", "\uff1a": ":", "\u2229": "\\cap ", "\u222a": "\\cup ", "\u2208": "\\in ",
}
_UNICODE_RE = re.compile("|".join(map(re.escape, _UNICODE)))

_TEXT_CMDS = ("text", "textbf", "textit", "textrm", "textnormal", "textsf", "texttt", "mathrm",
              "mathbf", "mathit", "mathsf", "mathtt", "mbox", "hbox", "rm", "operatorname", "emph")
_TEXT_CMD_RE = re.compile(r"\\(" + "|".join(_TEXT_CMDS) + r")(?![a-zA-Z])\s*")


def _normalize(s: str, hints: dict) -> str:
    t = s.strip()
    if len(t) < 100 and not hints.get("choices") and _PLAIN.fullmatch(t):   # plain number
        return canonical_number(_decimal(t))
    long = len(s) > _MAX_LEN
    s = _UNICODE_RE.sub(lambda m: _UNICODE[m.group(0)], s)
    s = s.strip()
    s = _unwrap_whole(s)
    s = _delimiters(s)
    s = _unwrap_whole(s.strip())
    s = _thousands(s, multi=bool(hints.get("is_multiple_answer")))
    s = re.sub(r"\\!", "", s)
    s = _percent_degrees_dollars(s)
    if not long:
        time = _time_of_day_early(s)
        if time is not None:
            return time
        s = _drop_units(s, hints.get("unit"))
        s = _unwrap_text(s)
        s = _drop_units(s, hints.get("unit"))
    s = _SPACING.sub(lambda m: m.group(1) or " ", s)
    s = re.sub(r"\s+", " ", s).strip()
    time = _time_of_day(s)
    if time is not None:
        return time
    words = _words_only(s)
    if words is not None:
        return _choice(words, hints, raw=s)
    s = _infinity_words(s)
    s = _plain_text_math(s)
    s = _relations(s)
    s = _and_lists(s)
    if not long:
        s = _fix_shorthand(s)
    s = _squeeze_spaces(s)
    s = _strip_punctuation(s)
    if not long:
        s = _ellipsis_decimal(s)
        s = _column_vector(s)
        s = _assignments(s)
        s = _inequalities(s)
        s = _canonical_numbers(s)
    return _choice(s, hints, raw=s)


#: spacing commands (a matrix row break ``\\\\`` is kept)
_SPACING = re.compile(r"(\\\\)|\\(?:,|;|:|>| |quad|qquad|enspace|thinspace|medspace|thickspace)"
                      r"(?![a-zA-Z])|~")


def _unwrap_whole(s: str) -> str:
    """Remove delimiters that wrap the whole answer: ``$..$``, ``\\(..\\)``, ``\\boxed{..}``."""
    for _ in range(10):
        t = s.strip()
        for a, b in (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]")):
            if len(t) >= len(a) + len(b) and t.startswith(a) and t.endswith(b):
                t = t[len(a):len(t) - len(b)].strip()
        m = re.match(r"\\(?:boxed|fbox)\s*\{", t)
        if m and _group_end(t, m.end() - 1) == len(t):
            t = t[m.end():-1].strip()
        if t == s:
            return t
        s = t
    return s


def _delimiters(s: str) -> str:
    s = re.sub(r"\\(?:left|right)(?:\.|(?![a-zA-Z]))", "", s)
    s = re.sub(r"\\(?:big|Big|bigg|Bigg)[lrm]?(?![a-zA-Z])", "", s)
    s = re.sub(r"\\(?:displaystyle|textstyle|scriptstyle|limits)(?![a-zA-Z])", "", s)
    s = re.sub(r"(?<!\\)\\[()\[\]]", "", s)     # \( \) \[ \] (not \\[ of a matrix row)
    s = s.replace("\\$", "")                    # dollars
    s = s.replace("$", "")
    s = re.sub(r"\\[dtc]frac(?![a-zA-Z])", r"\\frac", s)
    return s


_SAFE_SEP = re.compile(r"(?<=\d)(?:,\\!|\{,\}|\\,|\\ |~|\\;|\\:)\s*(?=\d{3}(?!\d))")
_SPACE_GROUPS = re.compile(r"(?<![\d.,])\d{1,3}(?: \d{3})+(?!\d)")
_COMMA_GROUPS = re.compile(r"(?<![\d.,])\d{1,3}(?:,\d{3})+(?![\d,])")


# separators that cannot be anything else: Swiss/programming 1'000'000 and 1_000_000, European
# 1.234.567 (two or more dot groups: one dot group, 1.234, stays a decimal)
_APOS_GROUPS = re.compile(r"(?<![\d.,'_])\d{1,3}(?:'\d{3})+(?![\d'])")
_UNDERSCORE_GROUPS = re.compile(r"(?<![\d.,'_{])\d{1,3}(?:\\?_\d{3})+(?![\d_}])")
_DOT_GROUPS = re.compile(r"(?<![\d.,])\d{1,3}(?:\.\d{3}){2,}(?![\d.])")
# Indian grouping: 1,00,000 and 12,34,567 (two-digit groups, then a final three-digit group)
_INDIAN_GROUPS = re.compile(r"(?<![\d.,])\d{1,2}(?:,\d{2})+,\d{3}(?![\d,])")


def _thousands(s: str, multi: bool) -> str:
    s = _SAFE_SEP.sub("", s)
    s = _APOS_GROUPS.sub(lambda m: m.group(0).replace("'", ""), s)
    s = _UNDERSCORE_GROUPS.sub(lambda m: m.group(0).replace("\\", "").replace("_", ""), s)
    s = _DOT_GROUPS.sub(lambda m: m.group(0).replace(".", ""), s)
    s = _SPACE_GROUPS.sub(lambda m: m.group(0).replace(" ", ""), s)
    if not multi:
        def comma(m):
            before = s[:m.start()].rstrip()[-1:]
            after = s[m.end():].lstrip()[:1]
            if before in ("(", "[", "{", ",", ";") or after in (",", ")", "]", "}", ";"):
                return m.group(0)
            if re.search(r"\\\{\s*$", s[max(0, m.start() - 4):m.start()]):
                return m.group(0)
            return m.group(0).replace(",", "")
        s = _COMMA_GROUPS.sub(comma, s)
        s = _INDIAN_GROUPS.sub(comma, s)
    return s


def _percent_degrees_dollars(s: str) -> str:
    s = re.sub(r"\\?%", "", s)
    s = re.sub(r"\^\s*\{\s*\\circ\s*\}|\^\s*\\circ(?![a-zA-Z])|\\degree(?![a-zA-Z])|\\textdegree"
               r"(?![a-zA-Z])", "", s)
    s = re.sub(r"(?<=\d)\s*\\circ(?![a-zA-Z])", "", s)
    return s


_UNIT_TAIL = re.compile(
    # an exponent only after a unit (\text{cm}^2): in 3 \times 10^8 \text{ m/s} it belongs to the number
    r"(?:\s*(?:\\(?:" + "|".join(_TEXT_CMDS) + r")\s*\{[^{}]*\}(?:\s*\^\s*\{?-?\d\}?)?|/|\\cdot"
    r"|\\,|~))+\s*\.?\s*$")
_UNIT_CONTENT = re.compile(r"[\sA-Za-z~/.\-^0-9\\μΩ]*[A-Za-zμΩ][\sA-Za-z~/.\-^0-9\\μΩ]*")
_NOT_UNITS = {"and", "or", "where", "if", "for", "when", "otherwise", "is", "then"}
#: plain unit words dropped after a number even without a unit hint (multi-letter only: a
#: trailing single letter such as ``m`` may be a variable, ``\frac{37}{4} m``)
_UNIT_WORDS = re.compile(
    r"(?<=[\d}])\s*(?:degrees?|deg|percent|cm|mm|km|kg|mg|inch(?:es)?|in\.|feet|foot|ft|meters?|"
    r"metres?|miles?|mph|km/h|m/s|seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|"
    r"years?|dollars?|cents?|units?|square units|sq\.? units|cubic units|pounds?|lbs?|ounces?|"
    r"oz|liters?|litres?|gallons?|people|students|ways|times)(?:\^\{?[23]\}?)?\.?\s*$",
    re.IGNORECASE)


def _drop_units(s: str, unit) -> str:
    """Remove a trailing unit after a number-like answer."""
    tail_start = max(0, len(s) - 300)
    tail = s[tail_start:]
    m = _UNIT_TAIL.search(tail)
    if m:
        chunk = m.group(0)
        groups = re.findall(r"\{([^{}]*)\}", chunk)
        prefix = s[:tail_start + m.start()]
        if (groups and all(_UNIT_CONTENT.fullmatch(g) and g.strip(" ~").lower() not in _NOT_UNITS
                           and g.strip(" ~") not in ("i", "e")
                           and not re.fullmatch(r"\s*\(?[A-E]\)?\s*", g) for g in groups)
                and re.search(r"\d", prefix) and re.search(r"[\d}).]\s*$", prefix)):
            s = prefix
    s2 = _UNIT_WORDS.sub("", s)
    if s2 != s and re.search(r"[\d}]$", s2.rstrip()):
        s = s2.rstrip()
    if unit:
        u = _unit_forms(str(unit))
        for form in u:
            if not form:
                continue
            t = s.rstrip().rstrip(".").rstrip()
            if t.endswith(form) and len(t) > len(form):
                head = t[:-len(form)]
                if (not head[-1].isalpha() or form[0] in "^\\%") and re.search(r"\d", head):
                    s = head.rstrip()
                    break
    return s


def _unit_forms(unit: str) -> list[str]:
    u = unit.strip().strip("$").strip()
    u = re.sub(r"\\(?:mathrm|text|mbox|rm)\s*\{([^{}]*)\}", r"\1", u).replace("~", "").strip()
    forms = [u]
    if re.fullmatch(r"[A-Za-z]+", u) and len(u) > 2:
        forms = [u + "s", u + "es", u]
    if u == "minute" or u == "minutes" or u == "min":
        forms = ["minutes", "minute", "mins", "min"]
    return sorted(set(forms), key=len, reverse=True)


def _unwrap_text(s: str) -> str:
    """``\\text{X}`` (and friends) → X; ``\\text{ and }`` → `` and ``."""
    out = []
    i = 0
    n = len(s)
    for _ in range(10_000):
        m = _TEXT_CMD_RE.search(s, i)
        if not m:
            break
        j = m.end()
        if j < n and s[j] == "{":
            k = _group_end(s, j)
            if k is None:
                break
            out.append(s[i:m.start()])
            inner = s[j + 1:k - 1]
            out.append(" " + inner + " " if inner.strip().lower() in ("and", "or") else inner)
            i = k
        else:
            out.append(s[i:m.start()])
            i = j
    out.append(s[i:])
    return "".join(out)


_WORDS = re.compile(r"[A-Za-z]+(?:[ '\-][A-Za-z]+)*")
_LATEX_WORDS = {"pi", "infty", "inf", "infinity", "e", "i"}


def _words_only(s: str) -> str | None:
    """``\\text{evelyn}`` for an answer made only of words (3+ letters, or 'no')."""
    t = s.strip().rstrip(".").strip()
    if not _WORDS.fullmatch(t):
        return None
    low = t.lower()
    if low in _LATEX_WORDS:
        return None
    longest = max(len(w) for w in re.split(r"[ '\-]", low))
    if longest < 3 and low not in ("no",):
        return None
    if re.fullmatch(r"[a-e]", low):
        return None
    return f"\\text{{{low}}}"


_MERIDIEM = r"(a\.?\s?m\.?|p\.?\s?m\.?|noon|midnight)"
_TIME = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?\s*" + _MERIDIEM + r"?\.?", re.IGNORECASE)
# an hour with a.m./p.m. and no minutes: 4pm, 11 a.m.
_HOUR_ONLY = re.compile(r"(1[0-2]|0?[1-9])\s*" + _MERIDIEM + r"\.?", re.IGNORECASE)
_MAY_BE_TIME = re.compile(r":|\d\s*(?:\\[a-z]+\s*\{\s*)?(?:[ap]\.?\s?m|noon|midnight)", re.IGNORECASE)


def _time_of_day(s: str) -> str | None:
    """``\\text{H:MM}`` (``H:MM:SS``), followed by ``am``/``pm`` when the time says which:
    ``4:30 P.M.``, ``4:30pm``, ``4pm`` → ``\\text{4:30pm}``/``\\text{4:00pm}``; ``12:00 noon`` →
    ``\\text{12:00pm}``, ``12:00 midnight`` → ``\\text{12:00am}``; ``04:30`` → ``\\text{4:30}``.
    A 24-hour time keeps its hour (``16:30``): the verifier compares clock readings (math.py)."""
    t = s.strip()
    m = _TIME.fullmatch(t)
    if m:
        hour, minute, second, suffix = m.groups()
    else:
        m = _HOUR_ONLY.fullmatch(t)
        if not m:
            return None
        hour, suffix = m.groups()
        minute, second = "00", None
    core = f"{int(hour)}:{minute}" + (f":{second}" if second else "")
    suffix = (suffix or "").lower().replace(".", "").replace(" ", "")
    suffix = {"noon": "pm", "midnight": "am"}.get(suffix, suffix)
    return f"\\text{{{core}{suffix}}}"


def _time_of_day_early(s: str) -> str | None:
    """A time of day recognised before unit and ``\\text`` handling, which would drop its
    ``\\text{ p.m.}``/``\\mathrm{PM}`` as if it were a unit."""
    if len(s) > 80 or not _MAY_BE_TIME.search(s):
        return None
    t = _unwrap_text(s)
    t = _SPACING.sub(lambda m: m.group(1) or " ", t)
    return _time_of_day(re.sub(r"\s+", " ", t))


def _infinity_words(s: str) -> str:
    s = re.sub(r"(?<![a-zA-Z\\])(?:infinity|infty|inf)(?![a-zA-Z])", r"\\infty ", s,
               flags=re.IGNORECASE)
    s = re.sub(r"\+\s*\\infty", r"\\infty", s)
    # SymPy's spelling of infinity, as a whole answer only ("oo" inside a word is not infinity)
    s = re.sub(r"^([+-]?)\s*oo$", lambda m: ("-" if m.group(1) == "-" else "") + "\\infty", s)
    return s


# plain-text math that programs print (SymPy's str, Python): pi, exp(...), a + -b, 14.0
_BARE_PI = re.compile(r"(?<![A-Za-z\\])pi(?![A-Za-z])")
_EXP_CALL = re.compile(r"(?<![A-Za-z\\])exp\(([^()]*)\)")
_PLUS_MINUS_RUN = re.compile(r"\+\s*-")
_POINT_ZERO = re.compile(r"(?<![\d.])(\d+)\.0+(?![\d.])")
# 0.777..., 0.142857142857\ldots: a decimal whose trailing block repeats, then an ellipsis
_ELLIPSIS_DECIMAL = re.compile(r"(-?\d*)\.(\d*?)((\d+?)\4{1,})(?:\\ldots|\\cdots|\.\.\.|…)")


def _plain_text_math(s: str) -> str:
    if "pi" in s:
        s = _BARE_PI.sub(r"\\pi ", s)
    if "exp(" in s:
        s = _EXP_CALL.sub(r"e^{\1}", s)
    if "+" in s:
        s = _PLUS_MINUS_RUN.sub("-", s)
    if ".0" in s:
        s = _POINT_ZERO.sub(r"\1", s)
    return s


def _ellipsis_decimal(s: str) -> str:
    """``0.777\\ldots`` -> ``0.\\overline{7}`` when the digits before the ellipsis repeat a
    block (a single digit at least three times, a longer block at least twice); ``3.14159\\ldots``
    (no repetition) is left alone."""
    m = _ELLIPSIS_DECIMAL.fullmatch(s)
    if not m:
        return s
    whole, pre, rep_all, block = m.group(1), m.group(2), m.group(3), m.group(4)
    if len(rep_all) // len(block) < (3 if len(block) == 1 else 2):
        return s
    return f"{whole}.{pre}\\overline{{{block}}}"


_COLUMN = re.compile(r"\\begin\{([pb])matrix\}((?:(?!\\end|&).)*)\\end\{\1matrix\}")


def _scalar_times_matrix(s: str) -> str:
    """A number times a matrix of numbers, ``\\frac{1}{49}\\begin{pmatrix}16\\\\48\\end{pmatrix}``,
    as the matrix of the products (exact fractions); anything else unchanged."""
    s = s.strip()
    i = s.find("\\begin{pmatrix}")
    if i <= 0 or not s.endswith("\\end{pmatrix}") or s.count("\\begin{") != 1:
        return s
    prefix = re.sub(r"(?:\\cdot|\\times)\s*$", "", s[:i].strip()).strip()
    if prefix.startswith("{") and prefix.endswith("}"):
        prefix = prefix[1:-1].strip()
    factor = _number_value(prefix)
    if factor is None:
        return s
    body = s[i + len("\\begin{pmatrix}"):-len("\\end{pmatrix}")]
    rows = []
    for row in body.split("\\\\"):
        cells = []
        for cell in row.split("&"):
            v = _number_value(cell.strip())
            if v is None:
                return s
            cells.append(canonical_number(factor * v))
        rows.append("&".join(cells))
    return "\\begin{pmatrix}" + "\\\\".join(rows) + "\\end{pmatrix}"


def _column_vector(s: str) -> str:
    """A one-column ``pmatrix``/``bmatrix`` (a vector, no ``&``) as the tuple ``(a,b,c)``:
    MATH writes vectors both ways. A number times a matrix of numbers is multiplied out first."""
    s = _scalar_times_matrix(s)
    m = _COLUMN.fullmatch(s.strip())
    if not m:
        return s
    rows = [r.strip() for r in m.group(2).split("\\\\")]
    if len(rows) < 2 or not all(rows):
        return s
    return "(" + ",".join(rows) + ")"


def _relations(s: str) -> str:
    s = re.sub(r"\\(?:leq|leqslant|leqq)(?![a-zA-Z])", r"\\le ", s)
    s = re.sub(r"\\(?:geq|geqslant|geqq)(?![a-zA-Z])", r"\\ge ", s)
    s = re.sub(r"\\(?:neq)(?![a-zA-Z])", r"\\ne ", s)
    s = re.sub(r"\\lt(?![a-zA-Z])", "<", s)
    s = re.sub(r"\\gt(?![a-zA-Z])", ">", s)
    s = s.replace("<=", "\\le ").replace(">=", "\\ge ")
    s = re.sub(r"\\(?:bmatrix|Bmatrix|vmatrix|matrix)(?![a-zA-Z])", "pmatrix", s)
    s = re.sub(r"\\begin\{(?:bmatrix|matrix)\}", r"\\begin{pmatrix}", s)
    s = re.sub(r"\\end\{(?:bmatrix|matrix)\}", r"\\end{pmatrix}", s)
    return s


_HAS_INEQ = re.compile(r"<|>|\\[lg]e(?![a-zA-Z])")


def _and_lists(s: str) -> str:
    """``2 and 3``, ``2, and 3`` → ``2, 3``; ``or`` likewise, except between inequalities, where
    it becomes ``\\lor`` (``x<-1 or x>3`` is a union of intervals)."""
    s = re.sub(r"\s*,?\s+and\s+", ", ", s)
    if _HAS_INEQ.search(s):
        s = re.sub(r"\s*,?\s+or\s+", r" \\lor ", s)
    else:
        s = re.sub(r"\s*,?\s+or\s+", ", ", s)
    return s


def _squeeze_spaces(s: str) -> str:
    s = re.sub(r"(\\[a-zA-Z]+)\s+(?=[a-zA-Z])", "\\1\x00", s)
    s = re.sub(r"(?<=\d)\s+(?=\d)", "\x01", s)
    s = re.sub(r"\s+", "", s)
    return s.replace("\x00", " ").replace("\x01", " ")


def _strip_punctuation(s: str) -> str:
    for _ in range(5):
        t = s
        t = re.sub(r"(?:\\\\|[.,;:])+$", "", t)
        t = re.sub(r"^(?:=|:|\\approx|\\equiv)+", "", t)
        if t == s:
            break
        s = t
    return s


# --------------------------------------------------------------------------------------------
# TeX shorthand: \frac34, \sqrt3, \sqrt(2)

_SHORT_CMD = re.compile(r"\\(frac|binom|sqrt)(?![a-zA-Z])")


def _fix_shorthand(s: str) -> str:
    if "\\frac" not in s and "\\sqrt" not in s and "\\binom" not in s:
        return s
    return _Shorthand(s).fix(0, len(s), 0)


class _Shorthand:
    """Rewrites ``\\frac34``/``\\sqrt3``/``\\sqrt(2)`` with one bracket-matching table for the
    whole string (linear time, even for thousands of unbalanced ``\\frac{``)."""

    def __init__(self, s: str):
        self.s = s
        self.close: dict[int, int] = {}
        stacks: dict[str, list[int]] = {"{": [], "(": []}
        pairs = {"}": "{", ")": "("}
        for m in re.finditer(r"[{}()]", s):
            c = m.group(0)
            if c in stacks:
                stacks[c].append(m.start())
            elif stacks[pairs[c]]:
                self.close[stacks[pairs[c]].pop()] = m.start() + 1

    def fix(self, lo: int, hi: int, depth: int) -> str:
        s = self.s
        if depth > 50:
            return s[lo:hi]
        out = []
        i = lo
        while i < hi:
            m = _SHORT_CMD.search(s, i, hi)
            if not m:
                out.append(s[i:hi])
                break
            out.append(s[i:m.start()])
            cmd = m.group(1)
            j = m.end()
            if cmd == "sqrt":
                index = ""
                k = _skip_spaces(s, j)
                if k < hi and s[k] == "[":
                    close = s.find("]", k, hi)
                    if close < 0:
                        out.append(s[m.start():hi])
                        break
                    index = "[" + self.fix(k + 1, close, depth + 1) + "]"
                    j = close + 1
                arg = self.arg(j, hi, paren=True)
                if arg is None:
                    out.append("\\sqrt" + index)
                    i = j
                    continue
                a, b, j = arg
                out.append("\\sqrt" + index + "{" + self.fix(a, b, depth + 1) + "}")
                i = j
            else:
                a1 = self.arg(j, hi)
                a2 = self.arg(a1[2], hi) if a1 else None
                if a1 is None or a2 is None:
                    out.append("\\" + cmd)
                    i = j
                    continue
                out.append("\\" + cmd + "{" + self.fix(a1[0], a1[1], depth + 1) + "}{"
                           + self.fix(a2[0], a2[1], depth + 1) + "}")
                i = a2[2]
        return "".join(out)

    def arg(self, j: int, hi: int, paren: bool = False) -> tuple[int, int, int] | None:
        """One TeX argument at ``j``: (start, end) of its content and the position after it.
        A brace group, a control sequence or one character; with ``paren``, a parenthesised
        group (malformed ``\\sqrt(2)``) counts as an argument."""
        s = self.s
        j = _skip_spaces(s, j)
        if j >= hi:
            return None
        c = s[j]
        if c == "{" or (c == "(" and paren):
            k = self.close.get(j)
            if k is None or k > hi:
                return None
            return j + 1, k - 1, k
        if c == "\\":
            m = _CONTROL.match(s, j, hi)
            if m is None:
                return None
            return j, m.end(), m.end()
        if c in "}])^_,=+-*/<>&":
            return None
        return j, j + 1, j + 1


_CONTROL = re.compile(r"\\(?:[a-zA-Z]+|.)")


def _skip_spaces(s: str, j: int) -> int:
    while j < len(s) and s[j] in " \t\n":
        j += 1
    return j


def _group_end(s: str, j: int, open_: str = "{", close: str = "}") -> int | None:
    """Index after the bracket closing the one at ``j``; None if unbalanced."""
    depth = 0
    for k in range(j, len(s)):
        c = s[k]
        if c == open_:
            depth += 1
        elif c == close:
            depth -= 1
            if depth == 0:
                return k + 1
    return None


# --------------------------------------------------------------------------------------------
# structure: lists, assignments, inequalities

_OPEN = "([{"
_CLOSE = ")]}"


def _split_top(s: str) -> list[str] | None:
    """Split at top-level commas; None if brackets are unbalanced."""
    items = []
    depth = 0
    start = 0
    i = 0
    n = len(s)
    while i < n:
        c = s[i]
        if c == "\\" and i + 1 < n:
            if s.startswith("\\\\", i):
                i += 2
                continue
            i += 1
            c = s[i]
            if c in "{}":
                depth += 1 if c == "{" else -1
            i += 1
            continue
        if c in _OPEN:
            depth += 1
        elif c in _CLOSE:
            depth -= 1
            if depth < 0:
                return None
        elif c == "," and depth == 0:
            items.append(s[start:i])
            start = i + 1
        i += 1
    if depth != 0:
        return None
    items.append(s[start:])
    return items


def _strip_set_braces(s: str) -> str | None:
    if s.startswith("\\{") and s.endswith("\\}"):
        inner = s[2:-2]
        # the braces must match each other: \{1\}\cup\{2\} is not one set
        if _split_top("\\{" + inner + "\\}") is not None and _balanced_prefix_free(inner):
            return inner
    return None


def _balanced_prefix_free(inner: str) -> bool:
    depth = 0
    i = 0
    while i < len(inner):
        if inner.startswith("\\{", i):
            depth += 1
            i += 2
            continue
        if inner.startswith("\\}", i):
            depth -= 1
            if depth < 0:
                return False
            i += 2
            continue
        i += 1
    return depth == 0


_VAR = r"(?:[a-zA-Z]|\\[a-zA-Z]+)(?:_\{?[a-zA-Z0-9]+\}?)?"
_ASSIGN = re.compile(r"(" + _VAR + r")=(.+)")
_IN = re.compile(_VAR + r"\\in(.+)")


def _letters_free(s: str) -> bool:
    t = re.sub(r"\\[a-zA-Z]+", "", s)
    return not re.search(r"[a-zA-Z]", t)


def _assignments(s: str) -> str:
    m = _IN.fullmatch(s)
    if m:
        return m.group(1)
    items = _split_top(s)
    if not items:
        return s
    parsed = []
    for item in items:
        m = _ASSIGN.fullmatch(item)
        if not m or "=" in m.group(2) or not _letters_free(m.group(2)) \
                or m.group(2).startswith(("\\le", "\\ge")):
            return s
        parsed.append((m.group(1), m.group(2)))
    if len({v for v, _ in parsed}) != 1:
        return s
    return ",".join(rhs for _, rhs in parsed)


_REL = r"(<|>|\\le|\\ge) ?"
_BOUND = r"([^<>=]+?)"


def _inequalities(s: str) -> str:
    if not re.search(r"<|>|\\le(?![a-zA-Z])|\\ge(?![a-zA-Z])", s):
        return s
    parts = re.split(r"\\cup|\\lor ?", s)
    out = []
    for p in parts:
        iv = _one_inequality(p)
        if iv is None:
            return s
        out.append(iv)
    return "\\cup".join(out)


def _one_inequality(p: str) -> str | None:
    p = p.strip(",")
    m = re.fullmatch(_BOUND + _REL + "(" + _VAR + ")" + _REL + _BOUND, p)
    if m:
        a, r1, _, r2, b = m.groups()
        if not (_letters_free(a) and _letters_free(b)):
            return None
        if r1 in ("<", "\\le") and r2 in ("<", "\\le"):
            return ("[" if r1 == "\\le" else "(") + a + "," + b + ("]" if r2 == "\\le" else ")")
        if r1 in (">", "\\ge") and r2 in (">", "\\ge"):
            return ("[" if r2 == "\\ge" else "(") + b + "," + a + ("]" if r1 == "\\ge" else ")")
        return None
    m = re.fullmatch("(" + _VAR + ")" + _REL + _BOUND, p)
    if m:
        _, r, b = m.groups()
        if not _letters_free(b):
            return None
        if r in ("<", "\\le"):
            return "(-\\infty," + b + ("]" if r == "\\le" else ")")
        return ("[" if r == "\\ge" else "(") + b + ",\\infty)"
    m = re.fullmatch(_BOUND + _REL + "(" + _VAR + ")", p)
    if m:
        a, r, _ = m.groups()
        if not _letters_free(a):
            return None
        if r in ("<", "\\le"):
            return ("[" if r == "\\le" else "(") + a + ",\\infty)"
        return "(-\\infty," + a + ("]" if r == "\\ge" else ")")
    return None


# --------------------------------------------------------------------------------------------
# numbers

def _canonical_numbers(s: str) -> str:
    v = _number_value(s)
    if v is not None:
        return canonical_number(v)
    items = _split_top(s)
    if items and len(items) > 1:
        return ",".join(_canonical_numbers(x) for x in items)
    # a tuple, interval or set: canonicalize its items
    for a, b in (("\\{", "\\}"), ("(", ")"), ("[", "]"), ("(", "]"), ("[", ")")):
        if s.startswith(a) and s.endswith(b) and len(s) > len(a) + len(b):
            inner = s[len(a):-len(b)]
            items = _split_top(inner)
            if items and len(items) > 1 and (a != "\\{" or _balanced_prefix_free(inner)):
                return a + ",".join(_canonical_numbers(x) for x in items) + b
    return s


_INT = re.compile(r"[+-]?\d+")
_PLAIN = re.compile(r"-?\d+(?:\.\d+)?")
_DEC = re.compile(r"([+-]?)(\d*)\.(\d*)")
_SCI = re.compile(r"([+-]?(?:\d+\.?\d*|\.\d+))[eE]([+-]?\d+)")
_TIMES10 = re.compile(r"([+-]?(?:\d+\.?\d*|\.\d+))(?:\\times|\\cdot|\*)10\^(?:\{([+-]?\d+)\}|([+-]?\d))")
_POW10 = re.compile(r"([+-]?)10\^(?:\{([+-]?\d+)\}|([+-]?\d))")
_FRAC = re.compile(r"([+-]?)\\frac\{([+-]?\d+)\}\{([+-]?\d+)\}")
_SLASH = re.compile(r"([+-]?(?:\d+\.?\d*|\.\d+))/([+-]?(?:\d+\.?\d*|\.\d+))")
_MIXED = re.compile(r"([+-]?)(\d+)\s?\\frac\{(\d+)\}\{(\d+)\}")
# 2 1/2 (a space between the whole part and a proper fraction; 21/2 is twenty-one halves)
_MIXED_SLASH = re.compile(r"([+-]?)(\d+) (\d+)/(\d+)")
_REPEAT = re.compile(r"([+-]?)(\d*)\.(\d*)(?:\\overline\{(\d+)\}|\\overline(\d)|\((\d+)\)|\\bar\{(\d+)\})")
_DOTS = re.compile(r"([+-]?)(\d*)\.(\d*)((?:\\dot\{\d\}|\\dot\d|\d)+)")


def _digits_ok(*parts: str | None) -> bool:
    return sum(len(p or "") for p in parts) <= _MAX_DIGITS


def _number_value(s: str) -> Fraction | None:
    """Exact value of an (already normalized, space-free) plain number string."""
    s = s.strip()
    if not s or len(s) > _MAX_DIGITS + 40:
        return None
    if _INT.fullmatch(s):
        return Fraction(int(s))
    m = _DEC.fullmatch(s)
    if m and (m.group(2) or m.group(3)):
        return _decimal(s)
    m = _SCI.fullmatch(s)
    if m:
        return _scaled(m.group(1), m.group(2))
    m = _TIMES10.fullmatch(s)
    if m:
        return _scaled(m.group(1), m.group(2) or m.group(3))
    m = _POW10.fullmatch(s)
    if m:
        v = _scaled("1", m.group(2) or m.group(3))
        return -v if (v is not None and m.group(1) == "-") else v
    m = _FRAC.fullmatch(s)
    if m:
        sign, a, b = m.groups()
        if int(b) == 0:
            return None
        v = Fraction(int(a), int(b))
        return -v if sign == "-" else v
    m = _SLASH.fullmatch(s)
    if m:
        a, b = _decimal(m.group(1)), _decimal(m.group(2))
        if b == 0:
            return None
        return a / b
    m = _MIXED.fullmatch(s)
    if m:
        sign, w, a, b = m.groups()
        if int(b) == 0:
            return None
        v = int(w) + Fraction(int(a), int(b))
        return -v if sign == "-" else v
    m = _MIXED_SLASH.fullmatch(s)
    if m:
        sign, w, a, b = m.groups()
        if not 0 < int(a) < int(b):
            return None          # not a proper fraction: 2 3/2 is not a mixed number
        v = int(w) + Fraction(int(a), int(b))
        return -v if sign == "-" else v
    m = _REPEAT.fullmatch(s)
    if m:
        sign, a, b = m.group(1), m.group(2), m.group(3)
        rep = next(g for g in m.groups()[3:] if g)
        return _repeating(sign, a, b, rep)
    m = _DOTS.fullmatch(s)
    if m and "\\dot" in s:
        # 0.\dot{3} = 0.333..., 0.1\dot{2}\dot{3} = 0.1232323...: dots mark the first and last
        # digit of the repeating block
        sign, a, b, tail = m.groups()
        digits = re.findall(r"\\dot\{(\d)\}|\\dot(\d)|(\d)", tail)
        dotted = [bool(d[0] or d[1]) for d in digits]
        seq = "".join(d[0] or d[1] or d[2] for d in digits)
        first = dotted.index(True)
        last = len(dotted) - 1 - dotted[::-1].index(True)
        if last != len(dotted) - 1:
            return None          # digits after the last dot: malformed
        return _repeating(sign, a, b + seq[:first], seq[first:last + 1])
    return None


def _decimal(x: str) -> Fraction:
    m = _DEC.fullmatch(x)
    if not m:
        return Fraction(int(x))
    sign, a, b = m.groups()
    v = Fraction(int(a or "0")) + (Fraction(int(b), 10 ** len(b)) if b else 0)
    return -v if sign == "-" else v


def _scaled(mantissa: str, exponent: str) -> Fraction | None:
    e = int(exponent)
    if abs(e) > _MAX_EXPONENT:
        return None
    return _decimal(mantissa) * Fraction(10) ** e


def _repeating(sign: str, a: str, b: str, rep: str) -> Fraction | None:
    if not _digits_ok(a, b, rep) or not rep:
        return None
    v = Fraction(int(a or "0"))
    if b:
        v += Fraction(int(b), 10 ** len(b))
    v += Fraction(int(rep), (10 ** len(rep) - 1) * 10 ** len(b))
    return -v if sign == "-" else v


# --------------------------------------------------------------------------------------------
# multiple choice

_CHOICE_ALWAYS = re.compile(r"\(([A-E])\)(?:.*)", re.DOTALL)
_CHOICE_HINTED = re.compile(
    r"(?:(?:option|choice|answer)\s*)?\(?([A-Ea-e])(?:\)|\.|:|$)(?:.*)", re.DOTALL | re.IGNORECASE)


def _choice_pairs(hints: dict) -> list[tuple[str, str]]:
    choices = hints.get("choices")
    if isinstance(choices, Mapping):
        return [(str(k).upper(), str(v)) for k, v in choices.items()]
    if isinstance(choices, (list, tuple)):
        return [("ABCDE"[i], str(c)) for i, c in enumerate(choices[:5])]
    return []


def _letter(letter: str, rest: str, hints: dict) -> str:
    """The letter of ``(B) 14``, unless the problem's options are known and the text after the
    letter is another option's text (``(B) 14`` when 14 is option C): a contradictory answer
    names no option (``\\text{B?14}``, equal to neither B nor C)."""
    letter = letter.upper()
    rest = re.sub(r"^[\s).:}]+|[\s.]+$", "", rest)
    pairs = _choice_pairs(hints)
    if not rest or not pairs:
        return letter
    said = normalize_answer(rest)
    texts = {k: normalize_answer(v) for k, v in pairs}
    if said == texts.get(letter) or said not in texts.values():
        return letter
    return f"\\text{{{letter}?{said}}}"


def _choice(s: str, hints: dict, raw: str) -> str:
    t = s.strip()
    m = _CHOICE_ALWAYS.fullmatch(t)
    if m:
        return _letter(m.group(1), t[m.end(1) + 1:], hints)
    if not (hints.get("choices") or hints.get("multiple_choice")):
        return s
    m = _CHOICE_HINTED.fullmatch(raw.strip())
    if m:
        return _letter(m.group(1), raw.strip()[m.end(1):], hints)
    m = _CHOICE_HINTED.fullmatch(t)
    if m:
        return _letter(m.group(1), t[m.end(1):], hints)
    if t.startswith("\\text{") and t.endswith("}"):
        m = _CHOICE_HINTED.fullmatch(t[6:-1])
        if m and len(t) <= 8:
            return m.group(1).upper()
    for letter, text in _choice_pairs(hints):
        if normalize_answer(str(text)) == t:
            return str(letter).upper()
    return s
