"""Malformed specs: each gives a clear one-paragraph error naming the field, exit code 2, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from boundary.errors import InputError
from boundary.spec import load_spec, parse_spec

ROOT = Path(__file__).resolve().parent.parent
AIME = str(ROOT / "tests" / "data" / "math" / "aime24.jsonl")


def good():
    return {"seed": 0, "template": "qwen-boxed",
            "models": [{"name": "base", "backend": "vllm", "path": "/models/base"},
                       {"name": "rl", "backend": "vllm", "path": "/models/rl"}],
            "benchmarks": [{"name": "aime24", "source": AIME}],
            "sampling": {"n": 64, "temperature": 0.6, "top_p": 0.95, "max_tokens": 1024, "chunk_size": 16},
            "analysis": {"reference": "base"}, "verify": {"timeout_s": 5}}


def mutate(path, value):
    d = good()
    obj = d
    for key in path[:-1]:
        obj = obj[key]
    if value is DELETE:
        del obj[path[-1]]
    else:
        obj[path[-1]] = value
    return d


DELETE = object()

BAD = [
    # (what, mutation path, value, text the message must contain)
    ("unknown backend", ("models", 0, "backend"), "vlm", "models[0].backend: 'vlm' is not a known backend"),
    ("missing model path", ("models", 1, "path"), DELETE, "needs `path`"),
    ("openai without endpoint", ("models", 0), {"name": "base", "backend": "openai"}, "needs `endpoint`"),
    ("n = 0", ("sampling", "n"), 0, "sampling.n: Input should be greater than 0"),
    ("negative n", ("sampling", "n"), -5, "sampling.n"),
    ("negative temperature", ("sampling", "temperature"), -0.1, "sampling.temperature"),
    ("top_p above 1", ("sampling", "top_p"), 1.5, "sampling.top_p"),
    ("top_p zero", ("sampling", "top_p"), 0, "sampling.top_p"),
    ("max_tokens zero", ("sampling", "max_tokens"), 0, "sampling.max_tokens"),
    ("chunk_size zero", ("sampling", "chunk_size"), 0, "sampling.chunk_size"),
    ("greedy with n > 1", ("sampling", "temperature"), 0, "temperature=0 is greedy decoding"),
    ("typo in a sampling field", ("sampling", "temprature"), 0.7, "sampling.temprature: is not a known field"),
    ("typo at top level", ("benchmark",), [{"name": "x"}], "benchmark: is not a known field"),
    ("typo in a model field", ("models", 0, "dtpye"), "float32", "models[0].dtpye: is not a known field"),
    ("no models", ("models",), [], "models"),
    ("no benchmarks", ("benchmarks",), [], "benchmarks"),
    ("missing sampling", ("sampling",), DELETE, "sampling: is required"),
    ("duplicate model names", ("models", 1, "name"), "base", "model names must be unique"),
    ("reference not a model", ("analysis", "reference"), "gpt", "analysis.reference 'gpt' is not a model"),
    ("different templates", ("models", 1, "template"), "abel", "must get the same prompt"),
    ("n_boot zero", ("analysis", "n_boot"), 0, "analysis.n_boot"),
    ("level out of range", ("analysis", "level"), 1.5, "analysis.level"),
    ("tensor parallel zero", ("models", 0, "tensor_parallel_size"), 0, "models[0].tensor_parallel_size"),
    ("wrong type for n", ("sampling", "n"), "many", "sampling.n"),
    ("verify timeout zero", ("verify", "timeout_s"), 0, "verify.timeout_s"),
]


@pytest.mark.parametrize("what, path, value, message", BAD, ids=[b[0] for b in BAD])
def test_malformed_spec_is_explained(what, path, value, message):
    with pytest.raises(InputError) as e:
        parse_spec(mutate(path, value), where="spec.yaml")
    text = str(e.value)
    assert text.startswith("spec.yaml: ") and message in text
    assert "\n" not in text                     # one paragraph


def test_good_spec_parses_and_fingerprint_ignores_n():
    s = parse_spec(good())
    t = parse_spec(mutate(("sampling", "n"), 1024))
    assert s.sampling.fingerprint() == t.sampling.fingerprint()
    assert s.sampling.fingerprint() != parse_spec(mutate(("sampling", "temperature"), 1.0)).sampling.fingerprint()


def test_yaml_errors(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        load_spec(tmp_path / "nope.yaml")
    (tmp_path / "bad.yaml").write_text("models: [\n")
    with pytest.raises(InputError, match="not valid YAML"):
        load_spec(tmp_path / "bad.yaml")
    (tmp_path / "list.yaml").write_text("- 1\n- 2\n")
    with pytest.raises(InputError, match="must be a mapping"):
        load_spec(tmp_path / "list.yaml")


def cli(*args):
    env = dict(os.environ, BOUNDARY_PLUGINS="tests.helpers.fake_backend", PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "boundary.cli", *map(str, args)], capture_output=True, text=True,
                          env=env, cwd=str(ROOT), timeout=300)


@pytest.mark.parametrize("what, mutation, message", [
    ("typo", (("sampling", "temprature"), 0.7), "sampling.temprature: is not a known field"),
    ("unknown backend", (("models", 0, "backend"), "vlm"), "is not a known backend"),
    ("unknown benchmark", (("benchmarks",), [{"name": "aime2099"}]), "aime2099"),
    ("missing benchmark file", (("benchmarks",), [{"name": "aime24", "source": "/nonexistent/aime.jsonl"}]),
     "/nonexistent/aime.jsonl"),
])
def test_cli_reports_bad_specs_without_traceback(tmp_path, what, mutation, message):
    d = mutate(*mutation)
    for m in d["models"]:
        if m.get("backend") == "vllm":
            m["backend"] = "fake"
    if what == "unknown backend":
        d["models"][0]["backend"] = "vlm"
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump(d))
    r = cli("run", spec, "--run", tmp_path / "run")
    assert r.returncode == 2, r.stdout + r.stderr
    assert message in r.stderr and "Traceback" not in r.stderr


# ------------------------------------------------------------------------ sweeps: checkpoints, temperatures
def checkpoint_dir(root, names, config=True):
    root.mkdir(parents=True, exist_ok=True)
    for n in names:
        (root / n).mkdir()
        if config:
            (root / n / "config.json").write_text("{}")
    return root


def test_checkpoint_directory_expands_into_one_model_per_step(tmp_path):
    ck = checkpoint_dir(tmp_path / "grpo", ["global_step_150", "global_step_50", "global_step_1000"])
    (tmp_path / "grpo" / "latest_checkpointed_iteration.txt").write_text("1000")    # other files are ignored
    d = good()
    d["models"][1] = {"name": "grpo", "backend": "vllm", "checkpoints": str(ck)}
    s = parse_spec(d)
    assert [(m.name, m.step, m.group) for m in s.models] == [
        ("base", None, None), ("grpo@step50", 50, "grpo"), ("grpo@step150", 150, "grpo"),
        ("grpo@step1000", 1000, "grpo")]
    assert s.models[1].path == str(ck / "global_step_50")
    # the expanded spec (what the manifest stores) parses to itself
    assert parse_spec(s.model_dump(mode="json")) == s
    # Trainer-style names and verl's merged actor/huggingface folder; `steps` selects
    hf = checkpoint_dir(tmp_path / "trl", ["checkpoint-10", "checkpoint-20"], config=False)
    for n in ("checkpoint-10", "checkpoint-20"):
        (hf / n / "actor" / "huggingface").mkdir(parents=True)
        (hf / n / "actor" / "huggingface" / "config.json").write_text("{}")
    d["models"][1] = {"name": "ppo", "backend": "transformers", "checkpoints": str(hf), "steps": [20]}
    s = parse_spec(d)
    assert [(m.name, m.step, m.path) for m in s.models[1:]] == [
        ("ppo@step20", 20, str(hf / "checkpoint-20" / "actor" / "huggingface"))]


@pytest.mark.parametrize("what, setup, message", [
    ("missing", lambda p: p / "nope", "models[1].checkpoints: directory '{p}/nope' does not exist"),
    ("empty", lambda p: checkpoint_dir(p / "e", []), "models[1].checkpoints: directory '{p}/e' is empty"),
    ("no matching subdirectories", lambda p: checkpoint_dir(p / "o", ["actor", "step-x", "final"]),
     "holds no checkpoint subdirectories named global_step_N or checkpoint-N (found: actor, final, step-x); "
     "point `checkpoints` at the directory that holds them"),
    ("no config.json", lambda p: checkpoint_dir(p / "c", ["global_step_5"], config=False),
     "holds no config.json"),
])
def test_checkpoint_errors_name_the_value_and_the_fix(tmp_path, what, setup, message):
    d = good()
    d["models"][1] = {"name": "grpo", "backend": "vllm", "checkpoints": str(setup(tmp_path))}
    with pytest.raises(InputError) as e:
        parse_spec(d, where="spec.yaml")
    assert message.format(p=tmp_path) in str(e.value) and str(e.value).startswith("spec.yaml: models[1]")


def test_checkpoint_spec_conflicts(tmp_path):
    ck = checkpoint_dir(tmp_path / "g", ["global_step_1", "global_step_2"])
    d = good()
    d["models"][1] = {"name": "grpo", "backend": "vllm", "checkpoints": str(ck), "path": "/x"}
    with pytest.raises(InputError, match="both `path` and `checkpoints`"):
        parse_spec(d)
    d["models"][1] = {"name": "grpo", "backend": "vllm", "checkpoints": str(ck), "steps": [3]}
    with pytest.raises(InputError, match=r"step\(s\) \[3\] are not in .* it holds steps \[1, 2\]"):
        parse_spec(d)


def test_temperature_sweeps_expand_and_set_each_models_sampling(tmp_path):
    d = good()
    d["models"][1]["temperatures"] = [0.6, 1.0, 1.2]
    s = parse_spec(d)
    assert [m.name for m in s.models] == ["base", "rl@T=0.6", "rl@T=1.0", "rl@T=1.2"]
    assert [s.sampling_for(m).temperature for m in s.models] == [0.6, 0.6, 1.0, 1.2]
    assert s.sampling_for(s.models[2]).fingerprint() != s.sampling_for(s.models[1]).fingerprint()
    assert s.sampling_for(s.models[1]).fingerprint() == s.sampling.fingerprint()
    # in `sampling`: every model, and the reference group resolves to its first member
    d = good()
    d["sampling"]["temperatures"] = [0.6, 1.0]
    s = parse_spec(d)
    assert [m.name for m in s.models] == ["base@T=0.6", "base@T=1.0", "rl@T=0.6", "rl@T=1.0"]
    assert s.analysis.reference == "base@T=0.6" and s.members("rl") == ["rl@T=0.6", "rl@T=1.0"]
    # checkpoints × temperatures
    ck = checkpoint_dir(tmp_path / "g", ["checkpoint-5"])
    d = good()
    d["models"][1] = {"name": "g", "backend": "vllm", "checkpoints": str(ck), "temperatures": [1.0]}
    assert [(m.name, m.step, m.temperature) for m in parse_spec(d).models[1:]] == [("g@step5@T=1.0", 5, 1.0)]
    for bad, msg in [([], "non-empty list"), ([0.6, 0.6], "twice"), (["hot"], "'hot' is not a temperature")]:
        d = good()
        d["models"][1]["temperatures"] = bad
        with pytest.raises(InputError, match=msg):
            parse_spec(d)


def test_perplexity_block_names_models_or_groups():
    d = good()
    d["models"][1]["temperatures"] = [0.6, 1.0]
    d["perplexity"] = {"scorers": ["base", "rl"], "samples_per_problem": 16}
    s = parse_spec(d)
    assert s.perplexity.scorers == ["base", "rl"] and s.members("rl")[0] == "rl@T=0.6"
    d["perplexity"] = {"scorers": ["gpt"]}
    with pytest.raises(InputError, match="perplexity.scorers: 'gpt' is not a model of this spec"):
        parse_spec(d)


def _other_value(f):
    """A valid non-default value for a config field (one per type)."""
    special = {"grader": "strict", "isolation": "rlimit", "cache_dir": "/tmp/cal"}
    if f.name in special:
        return special[f.name]
    if isinstance(f.default, bool):
        return not f.default
    if f.default is None or isinstance(f.default, int):
        return (f.default or 0) + 3
    if isinstance(f.default, float):
        return f.default * 2 + 1
    raise AssertionError(f"no test value for {f.name}")


def test_every_verify_option_is_declared_once_and_reachable_from_spec_and_cli():
    """MathVerifyConfig / CodeVerifyConfig are the one definition: the spec's verify block and the
    CLI's --option take every field (a new field is reachable without touching spec or CLI)."""
    import dataclasses

    from boundary.cli import verify_block
    from boundary.verify.code import CodeVerifyConfig
    from boundary.verify.math import MathVerifyConfig
    for cls, prefix in ((MathVerifyConfig, ""), (CodeVerifyConfig, "code.")):
        for f in dataclasses.fields(cls):
            value = _other_value(f)
            assert value != f.default
            block = {"code": {f.name: value}} if prefix else {f.name: value}
            spec = parse_spec({**good(), "verify": block})
            got = spec.verify.code.to_config() if prefix else spec.verify.to_config()
            assert getattr(got, f.name) == value, f.name
            cli = verify_block([f"{prefix}{f.name}={value}"])
            got = cli.code.to_config() if prefix else cli.to_config()
            assert getattr(got, f.name) == value, f.name


def test_executor_block_and_a_clear_line_without_ray(monkeypatch):
    """executor: {kind: ray} without Ray installed: one line naming the extra; bad fields name the field."""
    import sys as _sys

    from boundary.errors import BoundaryError
    from boundary.executors import make_executor
    spec = parse_spec({**good(), "executor": {"kind": "ray", "address": "auto", "replicas": 2}})
    cfg = spec.executor.to_config()
    assert (cfg.kind, cfg.address, cfg.replicas) == ("ray", "auto", 2)
    assert make_executor(parse_spec(good()).executor.to_config()) is None       # local: this process
    monkeypatch.setitem(_sys.modules, "ray", None)                               # as if not installed
    with pytest.raises(BoundaryError, match=r"pip install 'boundary\[ray\]'"):
        make_executor(cfg)
    with pytest.raises(InputError, match="executor.kind: kind must be one of"):
        parse_spec({**good(), "executor": {"kind": "slurm"}})
    with pytest.raises(InputError, match="executor.replicas"):
        parse_spec({**good(), "executor": {"kind": "ray", "replicas": 0}})
