"""A run directory written before the re-layering (boundary at commit 3bf22a2: `boundary demo --n 8
--limit 3`, report dropped) still reads, verifies nothing twice, and reports the same numbers."""

import json
import shutil
from pathlib import Path

from boundary import Run, analyze, write_report
from boundary.analysis import AnalysisConfig
from boundary.verify import verify_run

DATA = Path(__file__).resolve().parent / "data" / "runs"


def _same(a, b, path=""):
    if "/extrapolation" in path and isinstance(a, float) and isinstance(b, float):
        # stop 21 refits the beta-binomial by Newton (SLSQP stopped short on flat likelihoods): the
        # likelihood may only rise, the probabilities agree to 1e-3; α and β of these n = 8 fits lie on
        # a ridge (α / (α + β) fixed, α large) where the optimizer's stopping point is arbitrary
        leaf = path.rsplit("/", 1)[-1]
        if leaf == "log_likelihood":
            assert b >= a - 1e-9, (path, a, b)
        elif leaf == "aic":
            assert b <= a + 1e-8, (path, a, b)
        elif leaf not in ("alpha", "beta"):
            assert abs(a - b) <= 1e-3, (path, a, b)
        return
    assert type(a) is type(b), path
    if isinstance(a, dict):
        assert set(a) == set(b), (path, set(a) ^ set(b))
        for k in a:
            _same(a[k], b[k], f"{path}/{k}")
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            _same(x, y, f"{path}[{i}]")
    else:
        assert a == b, (path, a, b)


def test_a_run_written_before_the_change_reads_and_reports_the_same_numbers(tmp_path):
    run_dir = tmp_path / "run"
    shutil.copytree(DATA / "v0.1-demo", run_dir)
    run = Run(run_dir)
    manifest = run.read_manifest()
    assert manifest.version == 1 and run.sampling_record("base").n == 8
    before = (run_dir / "manifest.json").read_text()
    assert verify_run(run).verified == 0                       # every sample already has its verdict
    spec_analysis = {k: v for k, v in run.spec["analysis"].items() if v is not None}
    analysis = analyze(run, AnalysisConfig(**spec_analysis))
    paths = write_report(analysis, run_dir / "report")
    new = json.loads((paths.index_html.parent / "summary.json").read_text())
    old = json.loads((DATA / "v0.1-demo-summary.json").read_text())
    assert new.pop("format") == "boundary.summary" and new.pop("version") == 1   # the only additions
    assert old.pop("run") == "/tmp/oldtiny" and new.pop("run") == str(run_dir)     # where each was written
    _same(old, new)
    # the old manifest's keys all survive the stages' writes
    after = json.loads((run_dir / "manifest.json").read_text())
    assert set(json.loads(before)) <= set(after)
