"""The CLI end to end: import counts, info, analyze, report, and error messages (the demo: test_organism.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parent.parent / "src" / "boundary" / "data" / "example_counts.csv"


def boundary(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "boundary.cli", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, timeout=300)


def test_import_then_report_gives_every_artifact(tmp_path):
    run = tmp_path / "run"
    r = boundary("import", "counts", EXAMPLE, "--run", run)
    assert r.returncode == 0, r.stderr
    assert "imported 1590 rows" in r.stdout
    r = boundary("info", run)
    assert r.returncode == 0 and "synthetic-hard" in r.stdout and "1024" in r.stdout
    r = boundary("report", run, "--n-boot", "200", "--reference", "base")
    assert r.returncode == 0, r.stderr
    index = run / "report" / "index.html"
    assert index.is_file() and str(index) in r.stdout.replace("\n", "")
    summary = json.loads((run / "report" / "summary.json").read_text())
    assert summary["reference"] == "base"
    manifest = json.loads((run / "manifest.json").read_text())
    assert "report" in manifest["stages"]


def test_analyze_writes_summary_and_prints_reading(tmp_path):
    run = tmp_path / "run"
    assert boundary("import", "counts", EXAMPLE, "--run", run).returncode == 0
    r = boundary("analyze", run, "--n-boot", "100")
    assert r.returncode == 0, r.stderr
    assert (run / "analysis" / "summary.json").is_file()
    assert "k=1" in r.stdout and "base" in r.stdout


@pytest.mark.parametrize("args, message", [
    (["report", "no-such-run"], "does not exist"),
    (["import", "counts", "missing.csv", "--run", "r"], "missing.csv: does not exist"),
])
def test_errors_are_one_line_messages_not_tracebacks(tmp_path, args, message):
    r = boundary(*args, cwd=tmp_path)
    assert r.returncode == 2
    assert message in r.stderr and "Traceback" not in r.stderr


def test_bad_reference_names_the_models(tmp_path):
    run = tmp_path / "run"
    assert boundary("import", "counts", EXAMPLE, "--run", run).returncode == 0
    r = boundary("report", run, "--reference", "gpt-5", "--n-boot", "50")
    assert r.returncode == 2 and "gpt-5" in r.stderr and "base" in r.stderr


def test_k_beyond_n_is_refused_with_the_limit(tmp_path):
    run = tmp_path / "run"
    assert boundary("import", "counts", EXAMPLE, "--run", run).returncode == 0
    r = boundary("analyze", run, "--k-max", "4096", "--n-boot", "50")
    assert r.returncode == 2 and "4096" in r.stderr and "smallest n" in r.stderr


def test_version():
    r = boundary("--version")
    assert r.returncode == 0 and r.stdout.startswith("boundary ")


def test_schema_command_prints_the_schemas_real_files_satisfy(tmp_path):
    """`boundary schema manifest|summary` print JSON Schemas that a fresh run's manifest.json validates against."""
    import jsonschema
    from typer.testing import CliRunner

    from boundary.cli import app
    from boundary.store import Run
    runner = CliRunner()
    r = runner.invoke(app, ["schema", "manifest"])
    assert r.exit_code == 0, r.output
    schema = json.loads(r.output)
    run = Run.create(tmp_path / "run", spec={"seed": 0})
    run.add_models(["base"])
    run.mark_stage("sample", samples=0)
    jsonschema.validate(json.loads((run.path / "manifest.json").read_text()), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"format": "something-else"}, schema)
    r = runner.invoke(app, ["schema", "summary"])
    assert r.exit_code == 0 and json.loads(r.output)["properties"]["format"]
    r = runner.invoke(app, ["schema", "nope"])
    assert r.exit_code != 0


def test_sample_bar_shows_nodes_and_retries_on_a_cluster():
    from boundary import cli
    from boundary.sampling.stage import Progress
    bar, update = cli._sample_bar()
    update(Progress("base", "aime24", 8, 32, 8, 80, 2.0))                    # local: no node count
    assert "node" not in bar.tasks[0].fields["rate"]
    update(Progress("base", "aime24", 16, 32, 8, 80, 4.0, nodes=2, retries=1))
    rate = bar.tasks[0].fields["rate"]
    assert "4.0 samples/s" in rate and "2 nodes" in rate and "1 retry" in rate
