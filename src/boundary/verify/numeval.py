"""Rigorous numeric evaluation of simple closed-form answers, to prove two answers *different*
without SymPy.

Most answers that reach SymPy in a real stream are constants such as ``3\\sqrt{13}``,
``\\frac{\\sqrt{3}}{3}``, ``288\\pi`` or ``6-5i`` compared with another constant of a different
value. ``simplify(a - b)`` takes 10 to 100 ms on each; evaluating both sides takes well under a
millisecond. This module evaluates a whitelisted grammar of *normalized* answers (integers,
decimals, ``+ - * / \\cdot \\times``, ``\\frac``, ``\\sqrt``, ``\\sqrt[n]``, ``\\pi``, ``i``,
parentheses and braces, small integer powers) in interval arithmetic on floats with outward
rounding: every value is a box that is guaranteed to contain the exact value, whatever rounding
and cancellation happened on the way.

Two decisions are taken from it. Two answers whose boxes are separated by more than
``SEPARATION`` (relative to their size) are different. That is a proof, not an estimate, and it
is consistent with the rest of the verifier, which already rejects numbers that differ by more
than 1e-12 relative after math-verify's rounded comparison. Two answers that evaluate to the
same *exact point* (no rounding anywhere: ``i^2`` and ``-1``, ``2^{10}`` and ``1024``) are equal.
Every other pair (overlapping or nearly touching boxes) goes on to SymPy. Anything outside the
grammar (letters other than ``i``, ``e``, functions, factorials, commas, relations, degrees, ...)
returns None.
"""

from __future__ import annotations

import functools
import math
import re

__all__ = ["evaluate", "differ", "differ_items", "same_point", "SEPARATION"]

SEPARATION = 1e-9
"""Relative gap between two boxes above which the answers are different."""

_MAX_CHARS = 200
_MAX_LITERAL = 40            # digits in one number literal
_MAX_POWER = 64              # |n| of an integer exponent
_MAX_ROOT = 20               # n of \sqrt[n]
_MAX_MAGNITUDE = 1e100       # larger intermediate values: give up (no huge-number work)

_TOKEN = re.compile(r"\s*(?:(\d+(?:\.\d+)?|\.\d+)|\\([a-zA-Z]+)|(.))")
_COMMANDS = {"frac", "dfrac", "tfrac", "sqrt", "pi", "cdot", "times", "left", "right"}
_CHARS = set("+-*/^(){}[]i")

def _down(x: float) -> float:
    return math.nextafter(x, -math.inf)


def _up(x: float) -> float:
    return math.nextafter(x, math.inf)


class _I:
    """A closed interval [lo, hi] of floats that contains the exact value. IEEE-754 +, -, *, /
    and sqrt are correctly rounded, so moving each computed end one ulp outwards keeps the
    enclosure rigorous; ``pow`` is not, so its ends move by a relative 1e-14 as well."""

    __slots__ = ("lo", "hi")

    def __init__(self, lo: float, hi: float):
        if not (-_MAX_MAGNITUDE <= lo <= hi <= _MAX_MAGNITUDE):   # also rejects nan and inf
            raise _GiveUp
        self.lo, self.hi = lo, hi

    @staticmethod
    def point(x: float) -> _I:
        return _I(x, x)

    @staticmethod
    def around(x: float) -> _I:
        """The value nearest to x (x = the correctly rounded float of the exact value)."""
        return _I(_down(x), _up(x))

    def is_zero(self) -> bool:
        return self.lo == 0.0 and self.hi == 0.0

    def has_zero(self) -> bool:
        return self.lo <= 0.0 <= self.hi

    def __neg__(self):
        return _I(-self.hi, -self.lo)

    def __add__(self, o):
        lo, hi = self.lo + o.lo, self.hi + o.hi
        if self.lo == self.hi and o.lo == o.hi and _two_sum_error(self.lo, o.lo, lo) == 0.0:
            return _I(lo, hi)                              # an exact sum of two points
        return _I(_down(lo), _up(hi))

    def __sub__(self, o):
        return self + (-o)

    def __mul__(self, o):
        if self.is_zero() or o.is_zero():
            return _ZERO
        ps = (self.lo * o.lo, self.lo * o.hi, self.hi * o.lo, self.hi * o.hi)
        lo, hi = min(ps), max(ps)
        if lo == hi and self.lo == self.hi and o.lo == o.hi and _exact_product(self.lo, o.lo, lo):
            return _I(lo, hi)
        return _I(_down(lo), _up(hi))

    def __truediv__(self, o):
        if o.has_zero():
            raise _GiveUp
        qs = (self.lo / o.lo, self.lo / o.hi, self.hi / o.lo, self.hi / o.hi)
        lo, hi = min(qs), max(qs)
        if lo == hi and self.lo == self.hi and o.lo == o.hi and _exact_product(lo, o.lo, self.lo):
            return _I(lo, hi)
        return _I(_down(lo), _up(hi))

    def sqrt(self):
        if self.lo < 0:
            raise _GiveUp
        lo, hi = math.sqrt(self.lo), math.sqrt(self.hi)
        if self.lo == self.hi and lo * lo == self.lo and _exact_product(lo, lo, self.lo):
            return _I(lo, lo)
        return _I(max(0.0, _down(lo)), _up(hi))

    def pow(self, e: _I):
        """self ** e for self > 0: monotone in each argument, so the corners bound it."""
        if not self.lo > 0:
            raise _GiveUp
        try:
            cs = [math.pow(b, x) for b in (self.lo, self.hi) for x in (e.lo, e.hi)]
        except (OverflowError, ValueError):
            raise _GiveUp from None
        lo, hi = min(cs), max(cs)
        return _I(_down(lo * (1 - 1e-14)), _up(hi * (1 + 1e-14)))


def _two_sum_error(a: float, b: float, s: float) -> float:
    """The rounding error of s = fl(a + b) (Knuth's TwoSum, exact without overflow)."""
    bb = s - a
    return (a - (s - bb)) + (b - bb)


def _exact_product(a: float, b: float, c: float) -> bool:
    """a * b == c exactly (not just after rounding), checked with integers."""
    from fractions import Fraction
    return Fraction(a) * Fraction(b) == Fraction(c)


_ZERO = _I(0.0, 0.0)
_ONE = _I(1.0, 1.0)
_PI = _I.around(math.pi)


class _GiveUp(Exception):
    pass


#: Letters that may stand for variables (``variables=True``). Not e, E, i, I (constants to
#: SymPy-based readers) nor the names SymPy's parser gives a meaning (S, N, O, Q).
_VARIABLES = set("abcdfghjklmnopqrstuvwxyzABCDFGHJKLMPRTUVWXYZ")


def _variable_value(letter: str):
    """A fixed, generic real value per letter (distinct irrational-looking numbers, away from
    0 and 1): two different polynomials rarely agree there, and when they do nothing is decided."""
    k = ord(letter)
    return (_I.point(k).sqrt() / _I.point(7.0) + _I.point(k % 13) / _I.point(11.0), _ZERO)


def _tokens(s: str, variables: bool = False) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos, n = 0, len(s)
    while pos < n:
        m = _TOKEN.match(s, pos)
        if m is None:                      # only trailing whitespace is left
            break
        pos = m.end()
        num, cmd, ch = m.groups()
        if num is not None:
            if len(num) > _MAX_LITERAL:
                raise _GiveUp
            out.append(("num", num))
        elif cmd is not None:
            if cmd not in _COMMANDS:
                raise _GiveUp
            if cmd in ("left", "right"):   # \left( ... \right): the delimiter follows
                continue
            out.append(("cmd", "frac" if cmd in ("dfrac", "tfrac") else cmd))
        elif ch is not None:
            if ch.isspace():
                continue
            if variables and ch in _VARIABLES:
                if out and out[-1][0] == "var":
                    raise _GiveUp              # xy: a product, or a name? not decided here
                out.append(("var", ch))
                continue
            if ch not in _CHARS:
                raise _GiveUp
            if ch == "(" and out and out[-1][0] == "var":
                raise _GiveUp                  # f(x): a product, or a function?
            out.append(("chr", ch))
    return out


# A value is a complex box: (re, im), each an _I.

def _add(x, y):
    return (x[0] + y[0], x[1] + y[1])


def _sub(x, y):
    return (x[0] - y[0], x[1] - y[1])


def _is_real(z) -> bool:
    return z[1].is_zero()


def _mul(x, y):
    if _is_real(x) and _is_real(y):
        return (x[0] * y[0], _ZERO)
    return (x[0] * y[0] - x[1] * y[1], x[0] * y[1] + x[1] * y[0])


def _div(x, y):
    if _is_real(y):
        return (x[0] / y[0], x[1] / y[0])
    d = y[0] * y[0] + y[1] * y[1]
    return ((x[0] * y[0] + x[1] * y[1]) / d, (x[1] * y[0] - x[0] * y[1]) / d)


def _exact_int(z) -> int | None:
    """The integer a point box holds, if it is one."""
    if not _is_real(z) or z[0].lo != z[0].hi:
        return None
    v = z[0].lo
    if v != int(v):
        return None
    return int(v)


def _pow(base, exp):
    n = _exact_int(exp)
    if n is not None:
        if abs(n) > _MAX_POWER:
            raise _GiveUp
        if n == 0 and base[0].has_zero() and base[1].has_zero():
            raise _GiveUp                      # 0^0
        result, b, k = (_ONE, _ZERO), base, abs(n)
        while k:
            if k & 1:
                result = _mul(result, b)
            k >>= 1
            if k:
                b = _mul(b, b)
        return _div((_ONE, _ZERO), result) if n < 0 else result
    # a real, non-integer exponent of a positive real base (no branch choices)
    if not _is_real(base) or not _is_real(exp) or not base[0].lo > 0:
        raise _GiveUp
    if not abs(exp[0].hi) <= _MAX_POWER or not abs(exp[0].lo) <= _MAX_POWER:
        raise _GiveUp
    return (base[0].pow(exp[0]), _ZERO)


class _Parser:
    def __init__(self, toks):
        self.t, self.i = toks, 0

    def peek(self):
        return self.t[self.i] if self.i < len(self.t) else (None, None)

    def take(self):
        tok = self.peek()
        if tok[0] is None:
            raise _GiveUp
        self.i += 1
        return tok

    def expect(self, kind, val):
        if self.take() != (kind, val):
            raise _GiveUp

    def expr(self):
        v = self.term()
        while self.peek() in (("chr", "+"), ("chr", "-")):
            op = self.take()[1]
            w = self.term()
            v = _add(v, w) if op == "+" else _sub(v, w)
        return v

    def term(self):
        v = self.unary()
        while True:
            tok = self.peek()
            if tok in (("chr", "*"), ("cmd", "cdot"), ("cmd", "times")):
                self.take()
                v = _mul(v, self.unary())
            elif tok == ("chr", "/"):
                self.take()
                v = _div(v, self.unary())
            elif tok in (("cmd", "sqrt"), ("cmd", "pi"), ("chr", "i"), ("chr", "(")) or tok[0] == "var":
                # implicit product: 3\sqrt{13}, 288\pi, 5i, 2(1+\sqrt{2}). Not before \frac
                # (2\frac{1}{2} is a mixed number to some readers) nor before a number.
                v = _mul(v, self.power())
            else:
                return v

    def unary(self):
        tok = self.peek()
        if tok == ("chr", "-"):
            self.take()
            z = self.unary()
            return (-z[0], -z[1])
        if tok == ("chr", "+"):
            self.take()
            return self.unary()
        return self.power()

    def power(self):
        base = self.primary()
        if self.peek() == ("chr", "^"):
            self.take()
            tok = self.peek()
            if tok[0] == "num":
                if len(tok[1]) != 1:           # x^23 is x^2 * 3 in TeX: too easy to misread
                    raise _GiveUp
                self.take()
                exp = self.number(tok[1])
            elif tok == ("chr", "{"):
                exp = self.group()
            else:
                raise _GiveUp
            base = _pow(base, exp)
            if self.peek() == ("chr", "^"):
                raise _GiveUp                  # towers: ambiguous and expensive
        return base

    def number(self, text):
        x = float(text)
        if text.isdigit() and len(text) <= 15:
            return (_I.point(x), _ZERO)         # an exact float
        return (_I.around(x), _ZERO)

    def group(self):
        self.expect("chr", "{")
        v = self.expr()
        self.expect("chr", "}")
        return v

    def primary(self):
        kind, val = self.take()
        if kind == "num":
            return self.number(val)
        if kind == "var":
            return _variable_value(val)
        if (kind, val) == ("cmd", "pi"):
            return (_PI, _ZERO)
        if (kind, val) == ("chr", "i"):
            return (_ZERO, _ONE)
        if (kind, val) == ("chr", "("):
            v = self.expr()
            self.expect("chr", ")")
            return v
        if (kind, val) == ("chr", "{"):
            v = self.expr()
            self.expect("chr", "}")
            return v
        if (kind, val) == ("cmd", "frac"):
            num = self.group()
            den = self.group()
            return _div(num, den)
        if (kind, val) == ("cmd", "sqrt"):
            n = 2
            if self.peek() == ("chr", "["):
                self.take()
                k, text = self.take()
                if k != "num" or not text.isdigit() or not 2 <= int(text) <= _MAX_ROOT:
                    raise _GiveUp
                n = int(text)
                self.expect("chr", "]")
            arg = self.group()
            if not _is_real(arg) or not arg[0].lo >= 0:
                raise _GiveUp                  # roots of negative or complex values: branches
            if n == 2:
                return (arg[0].sqrt(), _ZERO)
            if arg[0].is_zero():
                return (_ZERO, _ZERO)
            return (arg[0].pow(_ONE / _I.point(float(n))), _ZERO)
        raise _GiveUp


@functools.lru_cache(maxsize=4096)
def evaluate(s: str, variables: bool = False):
    """A box ``(re, im)`` of mpmath intervals holding the exact value of ``s``, or None when ``s``
    is outside the grammar (or too large to be worth it).

    With ``variables=True``, single letters (see ``_VARIABLES``) are variables, each evaluated at
    a fixed generic point: two expressions whose boxes there are apart are not identical."""
    if not s or len(s) > _MAX_CHARS:
        return None
    try:
        toks = _tokens(s, variables)
        if not toks:
            return None
        p = _Parser(toks)
        v = p.expr()
        if p.i != len(toks):
            return None
        return v
    except (_GiveUp, ZeroDivisionError, ValueError, OverflowError):
        return None


def _low_abs(v: _I) -> float:
    """A lower bound of |x| over the interval."""
    if v.lo > 0:
        return v.lo
    if v.hi < 0:
        return -v.hi
    return 0.0


def _high_abs(v: _I) -> float:
    return max(abs(v.lo), abs(v.hi))


def differ(x, y) -> bool:
    """True when the boxes ``x`` and ``y`` (from :func:`evaluate`) are provably apart by more than
    ``SEPARATION`` relative to their size: the values are different."""
    try:
        re_d, im_d = x[0] - y[0], x[1] - y[1]
    except _GiveUp:
        return False
    gap = max(_low_abs(re_d), _low_abs(im_d))
    scale = max(_high_abs(x[0]), _high_abs(x[1]), _high_abs(y[0]), _high_abs(y[1]))
    return bool(gap > 0 and gap > scale * SEPARATION)


def same_point(x, y) -> bool:
    """True when ``x`` and ``y`` are both exact points (no rounding happened anywhere: integer and
    dyadic arithmetic, exact roots) with the same value: the values are equal. This is the only
    equality decided here."""
    return all(a.lo == a.hi for a in (*x, *y)) and x[0].lo == y[0].lo and x[1].lo == y[1].lo


_BRACKETS = {"(": ")", "[": "]"}


def _top_items(s: str) -> list[str] | None:
    """Comma-separated items of a whole-string ``(a, b, ...)`` or ``[a, b, ...]`` (same bracket
    on both ends), or None."""
    if len(s) < 2 or s[0] not in _BRACKETS or s[-1] != _BRACKETS[s[0]]:
        return None
    inner, items, depth, start = s[1:-1], [], 0, 0
    for j, ch in enumerate(inner):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth < 0:
                return None                    # (a)+(b): not one bracketed sequence
        elif ch == "," and depth == 0:
            items.append(inner[start:j])
            start = j + 1
    if depth != 0:
        return None
    items.append(inner[start:])
    return [x.strip() for x in items] if len(items) >= 2 else None


def differ_items(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` are both ``(x, y, ...)`` (or both ``[x, y, ...]``) with the same
    number of items and some position holds two constants that :func:`differ`.

    Ordered tuples, or intervals with the same kind of ends: either way a differing coordinate
    means different answers. Every item must be a constant or the same text on both sides (so an
    interval end ``\\infty`` is fine). Two-item sequences whose two items may be equal are
    skipped: ``(2, 2)`` is an empty interval to some readers, and all empty intervals are equal.
    """
    ia, ib = _top_items(a), _top_items(b)
    if ia is None or ib is None or a[0] != b[0] or len(ia) != len(ib):
        return False
    found = False
    values = []
    for x, y in zip(ia, ib):
        vx, vy = evaluate(x), evaluate(y)
        if x == y:
            values.append((vx, vy))
            continue
        if vx is None or vy is None:
            return False
        values.append((vx, vy))
        found = found or differ(vx, vy)
    if not found:
        return False
    if len(ia) == 2:
        for side in (0, 1):
            lo, hi = values[0][side], values[1][side]
            if lo is None or hi is None:
                if (ia if side == 0 else ib)[0] == (ia if side == 0 else ib)[1]:
                    return False
                continue
            if not differ(lo, hi):
                return False
    return True
