"""Faster PDF font embedding for a report's many figures.

matplotlib embeds each PDF's fonts as TrueType subsets (``pdf.fonttype`` 42) made with fontTools,
and subsetting DejaVu Sans reads its whole kerning table: about 0.2 s per font per file, more than
drawing the figure. The report's figures use a small alphabet, so ``cached_subsets`` keeps one
subset per font (every glyph asked for so far, seeded with printable ASCII and the report's
symbols) and hands a copy to each PDF. The embedded font is then a little larger than strictly
needed (a few hundred glyphs at most) and byte-identical between figures.

matplotlib's hook (``_backend_pdf_ps.get_glyphs_subset``) is private: when it is missing or has
another shape, nothing is patched and PDFs are written the ordinary way.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from contextlib import contextmanager
from io import BytesIO
from typing import Any

SEED = ("".join(chr(c) for c in range(32, 127))
        + "ΔτΣαβγεζπσμ−–—…≤≥≈×·°→←↑↓▲▼◇◆•★₀₁₂₃₄₅₆₇₈₉⁰¹²³‰€£√∞±∓")

_CACHE: dict[tuple[str, int], tuple[frozenset, bytes, dict]] = {}


def _seed(fontfile) -> set:
    try:
        from matplotlib.ft2font import FT2Font
        font = FT2Font(fontfile)
        return {g for g in (font.get_char_index(ord(c)) for c in SEED) if g}
    except Exception:  # noqa: BLE001 - seeding is an optimisation only
        return set()


@contextmanager
def cached_subsets() -> Iterator[None]:
    """While active, PDFs saved in this process share one font subset per font file."""
    try:
        from fontTools.ttLib import TTFont  # type: ignore[import-untyped]
        from matplotlib.backends import _backend_pdf_ps as pp
        original = pp.get_glyphs_subset
        results: Any = pp.SubsetResults
        as_file = pp.font_as_file
        ok = list(inspect.signature(original).parameters) == ["fontfile", "glyphs"] and hasattr(results, "_as_cm")
    except (ImportError, AttributeError, ValueError, TypeError):
        ok = False
    if not ok:
        yield
        return

    def subset(fontfile, glyphs):
        glyphs = set(glyphs)
        key = (str(fontfile), int(getattr(fontfile, "face_index", 0) or 0))
        hit = _CACHE.get(key)
        if hit is None or not glyphs <= hit[0]:
            want = glyphs | (set(hit[0]) if hit is not None else _seed(fontfile))
            with original(fontfile, want) as res:
                hit = (frozenset(want), as_file(res.font).getvalue(), dict(res.glyph_index_map))
            _CACHE[key] = hit
        return results(TTFont(BytesIO(hit[1])), dict(hit[2]))._as_cm()

    pp.get_glyphs_subset = subset
    try:
        yield
    finally:
        pp.get_glyphs_subset = original
