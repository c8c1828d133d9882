"""Explicit unit conversion before grading: ``2.4 km`` is not ``2.4`` when the unit is metres.

Normalization strips unit words so that ``5 \\text{ cm}`` matches ``5`` (OlympiadBench gives the
unit separately). That alone would accept an answer in another unit of the same quantity, 1000
times off. So when the answer states a unit and the problem's unit (``hints["unit"]``, or a unit
written in the reference) is a *different* known unit of the same quantity, the answer's number is
converted exactly (``fractions.Fraction``) into the problem's unit first. Units may be a ratio of
known units (``km/h``, ``m/s``) and the number may be written ``3.0 \\times 10^8``. Unknown units are
left alone; so are answers that are not "number + unit".
"""

from __future__ import annotations

import re
from fractions import Fraction

# unit -> (quantity, factor to the quantity's base unit)
UNITS: dict[str, tuple[str, Fraction]] = {
    "km": ("length", Fraction(1000)), "m": ("length", Fraction(1)), "cm": ("length", Fraction(1, 100)),
    "mm": ("length", Fraction(1, 1000)),
    "kg": ("mass", Fraction(1000)), "g": ("mass", Fraction(1)), "mg": ("mass", Fraction(1, 1000)),
    "h": ("time", Fraction(3600)), "hr": ("time", Fraction(3600)), "hours": ("time", Fraction(3600)),
    "min": ("time", Fraction(60)), "minutes": ("time", Fraction(60)), "s": ("time", Fraction(1)),
    "seconds": ("time", Fraction(1)), "ms": ("time", Fraction(1, 1000)),
    "dollars": ("money", Fraction(100)), "$": ("money", Fraction(100)), "cents": ("money", Fraction(1)),
    "l": ("volume", Fraction(1000)), "ml": ("volume", Fraction(1)),
}
_ALIASES = {"meters": "m", "metres": "m", "meter": "m", "kilometers": "km", "centimeters": "cm",
            "millimeters": "mm", "grams": "g", "kilograms": "kg", "dollar": "dollars", "cent": "cents",
            "hour": "hours", "minute": "minutes", "second": "seconds", "sec": "s", "liters": "l", "litres": "l"}

_NUM = r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
#: scientific notation after the number: 3.0 \times 10^8, 3 \cdot 10^{-2}
_EXP = r"(?:\s*(?:\\times|\\cdot)\s*10\s*\^\s*\{?\s*([-+]?\d{1,3})\s*\}?)?"
_WORD = r"[a-zA-Z]+(?:\s*/\s*[a-zA-Z]+)?"          # m, km/h, m/s
_WRAP = rf"\\(?:text|mathrm|mbox|textrm|operatorname)\s*\{{\s*(?:~|\\,|\\ )?\s*({_WORD})\s*\}}"
_ANSWER = re.compile(rf"^\s*(\\\$|\$)?\s*({_NUM}){_EXP}\s*(?:(?:~|\\,|\\ )\s*)*(?:{_WRAP}|({_WORD}))?\s*$")


def _unit(word: str | None) -> str | None:
    """The canonical name of a known unit (``km/s`` when both parts are known), or None."""
    if not word:
        return None
    w = re.sub(r"\s+", "", word).lower()
    if "/" in w:
        num, _, den = w.partition("/")
        a, b = _unit(num), _unit(den)
        return f"{a}/{b}" if a and b else None
    w = _ALIASES.get(w, w)
    return w if w in UNITS else None


def _dimension(unit: str) -> tuple[str, Fraction]:
    """(quantity, factor to the base unit) of a unit from :func:`_unit` (``km/h``: length/time)."""
    if "/" in unit:
        num, _, den = unit.partition("/")
        (qa, fa), (qb, fb) = UNITS[num], UNITS[den]
        return f"{qa}/{qb}", fa / fb
    return UNITS[unit]


def number_and_unit(s: str) -> tuple[Fraction, str | None] | None:
    """(value, unit) of ``"2.4 \\text{ km}"``, ``"\\$5.40"``, ``"7.5 mm"``, ``"3 \\times 10^8 \\text{ m/s}"``;
    None otherwise."""
    m = _ANSWER.match(s or "")
    if not m:
        return None
    dollar, num, exp, wrapped, bare = m.groups()
    unit = _unit(wrapped or bare)
    if (wrapped or bare) and unit is None:
        return None                      # a word we do not know: not ours to convert
    if dollar:
        if unit is not None:
            return None
        unit = "$"
    value = Fraction(num.replace(",", ""))
    if exp is not None:
        value *= Fraction(10) ** int(exp)
    return value, unit


def convert_to_problem_unit(answer: str, reference: str, hints: dict) -> str:
    """The answer re-expressed in the problem's unit when both units are known and differ."""
    got = number_and_unit(answer)
    if got is None:
        return answer
    value, unit = got
    if unit is None:
        return answer
    target = _unit(hints.get("unit")) if hints.get("unit") else None
    if target is None:
        ref = number_and_unit(reference)
        target = ref[1] if ref else None
    if target is None or target == unit or _dimension(target)[0] != _dimension(unit)[0]:
        return answer
    converted = value * _dimension(unit)[1] / _dimension(target)[1]
    if converted.denominator == 1:
        return str(converted.numerator)
    return f"\\frac{{{converted.numerator}}}{{{converted.denominator}}}"
