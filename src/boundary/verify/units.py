"""Explicit unit conversion before grading: ``2.4 km`` is not ``2.4`` when the unit is metres.

Normalization strips unit words so that ``5 \\text{ cm}`` matches ``5`` (OlympiadBench gives the
unit separately). That alone would accept an answer in another unit of the same quantity, 1000
times off. So when the answer states a unit and the problem's unit (``hints["unit"]``, or a unit
written in the reference) is a *different* known unit of the same quantity, the answer's number is
converted exactly (``fractions.Fraction``) into the problem's unit first. Unknown units are left
alone; so are answers that are not "number + unit".
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
_WRAP = r"\\(?:text|mathrm|mbox|textrm|operatorname)\s*\{\s*(?:~|\\,|\\ )?\s*([a-zA-Z]+)\s*\}"
_ANSWER = re.compile(rf"^\s*(\\\$|\$)?\s*({_NUM})\s*(?:(?:~|\\,|\\ )\s*)*(?:{_WRAP}|([a-zA-Z]+))?\s*$")


def _unit(word: str | None) -> str | None:
    if not word:
        return None
    w = word.strip().lower()
    w = _ALIASES.get(w, w)
    return w if w in UNITS else None


def number_and_unit(s: str) -> tuple[Fraction, str | None] | None:
    """(value, unit) of ``"2.4 \\text{ km}"``, ``"\\$5.40"``, ``"7.5 mm"``; None otherwise."""
    m = _ANSWER.match(s or "")
    if not m:
        return None
    dollar, num, wrapped, bare = m.groups()
    unit = _unit(wrapped or bare)
    if (wrapped or bare) and unit is None:
        return None                      # a word we do not know: not ours to convert
    if dollar:
        if unit is not None:
            return None
        unit = "$"
    return Fraction(num.replace(",", "")), unit


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
    if target is None or target == unit or UNITS[target][0] != UNITS[unit][0]:
        return answer
    converted = value * UNITS[unit][1] / UNITS[target][1]
    if converted.denominator == 1:
        return str(converted.numerator)
    return f"\\frac{{{converted.numerator}}}{{{converted.denominator}}}"
