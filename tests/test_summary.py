"""summary.json: named and versioned, typed (``Summary``), with a JSON Schema and a reader that accepts
summaries written before the format/version fields existed."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import numpy as np
import pyarrow as pa
import pytest

from boundary.analysis import AnalysisConfig, analyze
from boundary.errors import BoundaryError
from boundary.report import (SUMMARY_FORMAT, SUMMARY_VERSION, Summary, read_summary, summary_dict, summary_schema,
                             write_report)
from tests.test_further_report import CFG, _make_run

UNVERSIONED = Path(__file__).parent / "data" / "summary" / "unversioned.json"


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """A report of a run with samples, verdicts, token counts and checkpoints (every further analysis)."""
    run = _make_run(tmp_path_factory.mktemp("sum") / "r")
    a = analyze(run, AnalysisConfig(**{**CFG.__dict__, "power_law": True, "answer_space": 1000}))
    return a, write_report(a, run.path / "report", browser=False)


def test_summary_json_is_named_versioned_and_matches_the_schema(written):
    a, paths = written
    data = json.loads(paths.summary_json.read_text(encoding="utf-8"))
    assert data["format"] == SUMMARY_FORMAT == "boundary.summary" and data["version"] == SUMMARY_VERSION == 1
    schema = summary_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(data, schema)
    assert data == json.loads(json.dumps(summary_dict(a)))


def test_the_typed_form_holds_every_field(written):
    """``Summary`` forbids unknown fields: a field added to summary_dict without a type here fails."""
    _, paths = written
    data = json.loads(paths.summary_json.read_text(encoding="utf-8"))
    s = read_summary(paths.summary_json)
    assert isinstance(s, Summary) and s.model_dump(mode="json") == data
    b = s.benchmarks[0]
    assert b.pass_at_k["base"][0].k == 1 and b.extrapolation and b.support and b.budget is not None
    assert b.power_laws and b.chance is not None and b.sweeps and b.algorithms


def test_the_schema_rejects_what_is_not_a_summary(written):
    _, paths = written
    data = json.loads(paths.summary_json.read_text(encoding="utf-8"))
    bad = {**data, "benchmarks": [{**data["benchmarks"][0], "k_max": "sixteen"}]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, summary_schema())
    with pytest.raises(BoundaryError, match="does not match the summary format"):
        read_summary(bad)


def test_summaries_written_before_the_version_read_as_version_1():
    raw = json.loads(UNVERSIONED.read_text(encoding="utf-8"))
    assert "format" not in raw and "version" not in raw
    s = read_summary(UNVERSIONED)
    assert s.format == SUMMARY_FORMAT and s.version == 1
    assert s.model_dump(mode="json") == {"format": SUMMARY_FORMAT, "version": 1, **raw}
    jsonschema.validate({"format": SUMMARY_FORMAT, "version": 1, **raw}, summary_schema())
    assert s.benchmarks[0].extrapolation and s.benchmarks[0].support


def test_a_newer_version_or_another_format_is_refused_with_the_fix():
    raw = json.loads(UNVERSIONED.read_text(encoding="utf-8"))
    with pytest.raises(BoundaryError, match=r"version 2; this boundary reads versions 1 to 1\. Upgrade boundary"):
        read_summary({**raw, "version": 2})
    with pytest.raises(BoundaryError, match="format 'boundary-run'; expected 'boundary.summary'"):
        read_summary({**raw, "format": "boundary-run"})


def test_non_finite_numbers_are_null(tmp_path):
    from boundary.analysis import analyze_counts
    rows = [dict(model=m, benchmark="b", problem_id=f"p{i}", n=4, correct=c)
            for m, cs in (("base", [0, 0, 0]), ("rl", [0, 0, 0])) for i, c in enumerate(cs)]
    a = analyze_counts(pa.Table.from_pylist(rows), config=AnalysisConfig(n_boot=20, extrapolate=False))
    d = summary_dict(a)
    read_summary(d)                                    # all-zero counts: undefined ratios are null, still valid
    json.dumps(d, allow_nan=False)
    assert np.isfinite([p["pass_at_k"] for p in d["benchmarks"][0]["pass_at_k"]["base"]]).all()
