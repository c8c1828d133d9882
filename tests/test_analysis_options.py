"""One definition per analysis option: every AnalysisConfig field is settable from the spec's
``analysis:`` block and from ``boundary analyze`` / ``boundary report``, and ``boundary report`` honours
the options recorded in the run's spec."""

from __future__ import annotations

import dataclasses
import typing

import pytest
import typer.main
from typer.testing import CliRunner

import boundary.analysis
import tests.helpers.fake_backend  # noqa: F401  (registers backend "fake")
from boundary.analysis import AnalysisConfig
from boundary.cli import app
from boundary.errors import InputError
from boundary.spec import AnalysisSpec, parse_spec
from boundary.store import Run

FIELDS = dataclasses.fields(AnalysisConfig)
SPEC = {"models": [{"name": m, "backend": "fake", "path": "x"} for m in ("base", "rl")],
        "benchmarks": [{"name": "aime24"}],
        "sampling": {"n": 4}}


def _other_value(f):
    """A valid value different from the field's default."""
    t = typing.get_type_hints(AnalysisConfig)[f.name]
    if t is bool:
        return not f.default
    if f.name == "steps":
        return {"rl": 50}
    if f.name == "reference":
        return "rl"
    if float in (t, *typing.get_args(t)):
        return round((f.default or 0.5) / 2, 4)
    return (f.default or 3) + 7


def _cli_args(values: dict) -> list[str]:
    args = []
    for name, v in values.items():
        flag = "--" + name.replace("_", "-")
        if isinstance(v, bool):
            args.append(flag if v else "--no-" + flag[2:])
        elif isinstance(v, dict):
            for m, s in v.items():
                args += [flag, f"{m}={s}"]
        else:
            args += [flag, str(v)]
    return args


VALUES = {f.name: _other_value(f) for f in FIELDS}


def test_every_field_is_in_the_spec_with_its_default_and_help():
    assert set(AnalysisSpec.model_fields) == {f.name for f in FIELDS}
    for f in FIELDS:
        spec_field = AnalysisSpec.model_fields[f.name]
        assert spec_field.default == f.default, f.name
        assert spec_field.description == f.metadata["help"], f.name


def test_every_field_is_settable_from_the_spec():
    cfg = parse_spec({**SPEC, "analysis": VALUES}).analysis.to_config()
    assert dataclasses.asdict(cfg) == VALUES
    assert cfg != AnalysisConfig() and all(getattr(cfg, f.name) != f.default for f in FIELDS)


def test_spec_limits_come_from_the_config():
    with pytest.raises(Exception, match="less than 1"):
        AnalysisSpec(level=1.5)
    with pytest.raises(Exception, match="greater than 0"):
        AnalysisSpec(n_boot=0)


@pytest.mark.parametrize("command", ["analyze", "report"])
def test_every_field_has_an_option_on_the_command(command):
    cmd = typer.main.get_command(app).commands[command]
    opts = {o for p in cmd.params for o in (*p.opts, *p.secondary_opts)}
    for f in FIELDS:
        assert "--" + f.name.replace("_", "-") in opts, f"boundary {command} has no option for {f.name}"


class _Captured(Exception):
    pass


@pytest.fixture
def captured(monkeypatch):
    got = {}

    def fake(run, config=AnalysisConfig()):
        got["config"] = config
        raise _Captured

    monkeypatch.setattr(boundary.analysis, "analyze", fake)
    return got


def _run(tmp_path, analysis: dict | None = None) -> Run:
    spec = dict(SPEC)
    if analysis is not None:
        spec["analysis"] = analysis
    return Run.create(tmp_path / "r", spec=parse_spec(spec).model_dump(mode="json"))


@pytest.mark.parametrize("command", ["analyze", "report"])
def test_every_field_reaches_the_config_from_the_command_line(tmp_path, captured, command):
    run = _run(tmp_path)
    res = CliRunner().invoke(app, [command, str(run.path), *_cli_args(VALUES)])
    assert isinstance(res.exception, _Captured), res.output
    assert dataclasses.asdict(captured["config"]) == VALUES


@pytest.mark.parametrize("command", ["analyze", "report"])
def test_the_run_spec_options_apply_and_the_command_line_overrides_them(tmp_path, captured, command):
    run = _run(tmp_path, {"extrapolate_boot": 7, "extrapolate_to": 64, "n_boot": 50, "power_law": True})
    res = CliRunner().invoke(app, [command, str(run.path), "--n-boot", "80", "--no-power-law"])
    assert isinstance(res.exception, _Captured), res.output
    cfg = captured["config"]
    assert (cfg.extrapolate_boot, cfg.extrapolate_to, cfg.n_boot, cfg.power_law) == (7, 64, 80, False)


def test_a_bad_option_names_the_value_and_the_fix(tmp_path, captured):
    run = _run(tmp_path)
    res = CliRunner().invoke(app, ["report", str(run.path), "--level", "1.5"])
    assert isinstance(res.exception, InputError)               # main() prints it as one line, exit 2
    assert "level = 1.5" in str(res.exception) and "less than 1" in str(res.exception)
    res = CliRunner().invoke(app, ["analyze", str(run.path), "--steps", "rl"])
    assert isinstance(res.exception, InputError) and "MODEL=STEP" in str(res.exception)
