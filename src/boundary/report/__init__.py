"""The report stage (``boundary report RUN``): figures, tables, a JSON summary and one HTML page.

    from boundary.analysis import analyze
    from boundary.report import write_report
    paths = write_report(analyze("runs/qwen"), "runs/qwen/report")
    print(paths.index_html)

Layout of ``out_dir``::

    index.html          self-contained page (the answer first: headline tables, one sentence and an
                        interactive pass@k chart per benchmark; figures embedded; links to the files below)
    summary.json        the numbers of the analysis, versioned (``report.summary``; docs/summary.md)
    figures/*.svg       one per figure (``figures.figure_stems`` gives the names), embedded in the page;
                        with ``png=True`` / ``pdf=True`` (``--png``, ``--pdf``) also a PNG (slides) and
                        a vector PDF with embedded fonts (a paper) of each
    tables/*.csv|md|tex summary tables; curves.csv and differences.csv hold every k
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from boundary.analysis.analyze import Analysis
from boundary.report.figures import FIGURE_KINDS, FigureFile, render_figures, start_figures, write_figure
from boundary.report.html import render_html, write_html
from boundary.report.reading import Reading, reading_text, readings
from boundary.report.summary import (SUMMARY_FORMAT, SUMMARY_VERSION, Summary, read_summary, summary_dict,
                                     summary_json, summary_schema)
from boundary.report.tables import Table, build_tables, write_tables


@dataclass(frozen=True)
class ReportPaths:
    root: Path
    index_html: Path
    figures_dir: Path
    tables_dir: Path
    summary_json: Path
    figures: tuple[Path, ...]
    """Every figure file written (SVG; PNG and PDF when asked for)."""
    tables: tuple[Path, ...]
    """Every table file written (CSV, Markdown, LaTeX)."""
    samples_html: Path | None = None
    """The sample browser (``samples.html``), or None (``validity_notes`` says why)."""
    validity_notes: tuple[str, ...] = ()
    """What the answer-validity section skipped and why (no texts, no judgments, ...)."""


SectionMaker = Callable[[Analysis, Path], "tuple[str, str, str] | None"]
_SECTIONS: dict[str, SectionMaker] = {}


def register_report_section(name: str, make: SectionMaker) -> None:
    """Add a section to every report (a plugin's, e.g. the visual organism's perception check).

    ``make(analysis, out_dir)`` returns ``(anchor, title, inner HTML)`` — the HTML already escaped —
    or None when the section does not apply to this analysis. Sections appear after the built-in
    extra sections, in registration order; registering ``name`` again replaces its maker.
    """
    _SECTIONS[name] = make


def write_report(analysis: Analysis, out_dir: str | Path, *, browser=True, workers: int | None = None,
                 pair_figures: bool | None = None, png: bool = False, pdf: bool = False) -> ReportPaths:
    """Write figures, tables, ``summary.json`` and ``index.html`` of ``analysis`` into ``out_dir``.

    ``browser``: write the sample browser ``samples.html`` and the answer-validity section
    (True, a ``browser.BrowserConfig``, or False to skip both). ``workers``: processes drawing the
    figures (None: two for a report of 12 figures or more, see ``figures.start_figures``); the
    tables, the sample browser and the perplexity section are written meanwhile. ``pair_figures``:
    one diff and one coverage figure per comparison (True), one overview of each (False), or None:
    per comparison up to four models, overviews (small multiples) above. Every figure is written as
    the SVG the page embeds; ``png``: also as a PNG (for slides), ``pdf``: also as a vector PDF with
    its fonts embedded (for a paper). Both are off by default since each costs about as much as the
    drawing (``boundary report --png --pdf``, or one figure with ``write_figure(..., out="fig.pdf")``).
    """
    root = Path(out_dir)
    figures_dir, tables_dir = root / "figures", root / "tables"
    for d in (root, figures_dir, tables_dir):
        d.mkdir(parents=True, exist_ok=True)
    formats = ("png",) * png + ("svg",) + ("pdf",) * pdf
    pending = start_figures(analysis, figures_dir, workers=workers, pair_figures=pair_figures, formats=formats)
    tables = build_tables(analysis)
    table_paths = write_tables(analysis, tables_dir, tables)
    summary = root / "summary.json"
    summary.write_text(summary_json(analysis), encoding="utf-8")
    extras: list[tuple[str, str, str]] = []
    from boundary.report.graders import graders_section     # two verdict sources: does the result survive?
    graders = graders_section(analysis)
    if graders is not None:
        extras.append(graders)
    samples_html: Path | None = None
    notes: list[str] = []
    if browser is not False:
        from boundary.report.browser import validity_section
        section, samples_html, notes = validity_section(analysis, root, None if browser is True else browser)
        extras.append(section)
    from boundary.report.perplexity import perplexity_section     # perplexity, token entropy (or why skipped)
    extras.append(perplexity_section(analysis, root, formats)[0])
    from boundary.plugins import load_plugins
    load_plugins()
    for make in list(_SECTIONS.values()):
        extra = make(analysis, root)
        if extra is not None:
            extras.append(extra)
    figs = pending.result()
    index = write_html(analysis, figs, tables, root, extras=extras,
                       samples_href=samples_html.name if samples_html is not None else None)
    files = tuple(p for f in figs for p in f.files)
    return ReportPaths(root=root, index_html=index, figures_dir=figures_dir, tables_dir=tables_dir,
                       summary_json=summary, figures=files, tables=tuple(table_paths),
                       samples_html=samples_html, validity_notes=tuple(notes))


__all__ = ["ReportPaths", "write_report", "register_report_section", "write_figure", "FIGURE_KINDS", "summary_dict",
           "render_figures", "build_tables", "write_tables",
           "render_html", "readings", "reading_text", "Reading", "FigureFile", "Table",
           "Summary", "summary_schema", "read_summary", "summary_json", "SUMMARY_FORMAT", "SUMMARY_VERSION"]
