"""Problems with images in the sample stage (the driver's side): images copied into the run by content
hash, every chunk request carries their paths, the prompt refers to them with the model's placeholder
(at {image}, else before the question), and what must never reach an engine — a visual problem
without a placeholder in a text prompt, a placeholder without an image, a question holding the
placeholder — is an error naming the problem before any sampling."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from boundary.errors import BoundaryError, InputError, StoreError
from boundary.pipeline import run_spec, sample_spec
from boundary.sampling.backends import register_backend
from boundary.sampling.images import prompt_with_images
from boundary.sampling.stage import render_prompt
from boundary.spec import parse_spec
from boundary.store import Run
from boundary.tasks import load_benchmark
from tests.helpers.fake_backend import FakeBackend
from tests.helpers.visual import mathvista_records, write_mathvista_github, write_mathvista_parquet

AIME = str(Path(__file__).parent / "data" / "math" / "aime24.jsonl")
SEEN: list = []


class RecordingBackend(FakeBackend):
    """The fake engine, keeping every request it is sent."""

    name = "recording"

    def generate(self, requests, params):
        SEEN.extend(requests)
        yield from super().generate(requests, params)


register_backend("recording", RecordingBackend)


@pytest.fixture(scope="module")
def vista(tmp_path_factory):
    return write_mathvista_github(tmp_path_factory.mktemp("mathvista"))


def spec(source, *, template="raw", placeholder="<image>", n=4, benchmark="mathvista", extra=None):
    model = {"name": "vlm", "backend": "recording", "path": "none"}
    if placeholder:
        model["image_placeholder"] = placeholder
    return parse_spec({"seed": 0, "template": template, "models": [model],
                       "benchmarks": [{"name": benchmark, "source": str(source), **(extra or {})}],
                       "sampling": {"n": n, "chunk_size": 4, "max_tokens": 32}, "verify": {"workers": 1}})


def test_images_are_copied_into_the_run_and_sent_with_every_request(tmp_path, vista):
    SEEN.clear()
    run = Run.create(tmp_path / "r")
    s = sample_spec(spec(vista), run)
    problems = {p.id: p for p in load_benchmark("mathvista", source=vista)}
    assert s.new_samples == 4 * len(problems) and len(SEEN) == len(problems)
    stored = sorted((run.path / "images").iterdir())
    assert len(stored) == len(problems)
    for f in stored:                                     # named by content hash
        assert f.name.split(".")[0] == hashlib.sha256(f.read_bytes()).hexdigest()
    for req in SEEN:
        p = problems[req.problem_id]
        assert len(req.images) == 1 and Path(req.images[0]).parent == (run.path / "images").resolve()
        assert Path(req.images[0]).name.startswith(p.metadata["images"][0]["sha256"])
        assert req.prompt.count("<image>") == 1                           # one placeholder per image,
        assert req.prompt.startswith("<image>\n") and p.question in req.prompt   # before the question
    # a rerun draws nothing and copies nothing again
    SEEN.clear()
    assert sample_spec(spec(vista), run).new_samples == 0 and SEEN == []


def test_the_placeholder_goes_where_the_template_says(tmp_path, vista):
    SEEN.clear()
    sample_spec(spec(vista, template={"name": "vqa", "text": "Q: {question}\n{image}\nA:"}, n=4), tmp_path / "r")
    assert SEEN and all(r.prompt.startswith("Q: ") and "\n<image>\nA:" in r.prompt for r in SEEN)


def test_a_text_prompt_without_the_models_placeholder_is_refused_before_sampling(tmp_path, vista):
    run = Run.create(tmp_path / "r")
    with pytest.raises(BoundaryError, match="image_placeholder") as e:
        sample_spec(spec(vista, placeholder=None), run)
    assert "model 'vlm'" in str(e.value) and "problem" in str(e.value)
    assert run.shards("samples") == []


def test_a_placeholder_without_an_image_never_reaches_an_engine(tmp_path):
    # a template that hard-codes the placeholder, on a text-only benchmark
    run = Run.create(tmp_path / "r")
    with pytest.raises(InputError, match="has no image") as e:
        sample_spec(spec(AIME, benchmark="aime24", template={"name": "x", "text": "<image> {question}"}), run)
    assert "problem '60'" in str(e.value)
    assert run.shards("samples") == []
    # {image} on a text-only problem is simply dropped
    SEEN.clear()
    sample_spec(spec(AIME, benchmark="aime24", template={"name": "y", "text": "{image}{question}"}, n=4,
                     extra={"limit": 2}), tmp_path / "ok")
    assert SEEN and all("<image>" not in r.prompt and "{image}" not in r.prompt and r.images == () for r in SEEN)


def test_a_question_holding_the_placeholder_is_refused(tmp_path):
    recs = mathvista_records()
    first = next(iter(recs))
    recs[first]["question"] = "What does <image> show?"
    src = write_mathvista_github(tmp_path / "mv", recs)
    with pytest.raises(InputError, match=f"problem '{first}'.*question contains"):
        sample_spec(spec(src, extra={"options": {"question_type": "all"}}), tmp_path / "r")


def test_images_from_parquet_cells_are_stored_too(tmp_path):
    SEEN.clear()
    src = write_mathvista_parquet(tmp_path / "mv.parquet")
    run = Run.create(tmp_path / "r")
    sample_spec(spec(src, n=4), run)
    assert SEEN and all(len(r.images) == 1 and Path(r.images[0]).is_file() for r in SEEN)


def test_the_placeholder_is_part_of_the_models_recorded_prompt(tmp_path, vista):
    run = Run.create(tmp_path / "r")
    sample_spec(spec(vista), run)
    with pytest.raises(StoreError, match="other sampling parameters"):
        sample_spec(spec(vista, placeholder="<img>"), run)


def test_a_server_side_chat_template_gets_text_messages_and_the_images_ride_along():
    from boundary.tasks import Problem
    p = Problem(id="7", benchmark="mathvista", question="How many?", reference="3", metadata={"kind": "visual"})
    msgs = prompt_with_images(render_prompt, None, p, 1, model="m", placeholder=None)
    assert msgs == (("user", "How many?"),)


def test_run_spec_verifies_and_reports_a_visual_run(tmp_path, vista):
    r = run_spec(spec(vista, n=4), tmp_path / "r", report=False)
    run = Run(r.run)
    assert r.verified == run.row_count("samples") > 0
    names = json.loads(json.dumps(run.manifest["stages"]["verify"]))
    assert names and run.row_count("verdicts") == run.row_count("samples")


def test_a_visual_run_killed_mid_sampling_resumes_to_the_same_store(tmp_path, vista):
    import os
    import signal
    import subprocess
    import sys
    import time

    import yaml

    from tests.test_sample_stage import ROOT, cli
    d = {"seed": 0, "template": "raw",
         "models": [{"name": "vlm", "backend": "fake", "path": "none", "image_placeholder": "<image>",
                     "engine_args": {"delay_s": 0.2}}],
         "benchmarks": [{"name": "mathvista", "source": str(vista)}],
         "sampling": {"n": 8, "chunk_size": 4, "max_tokens": 32, "chunks_per_shard": 2}, "verify": {"workers": 1}}
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(d))
    env = dict(os.environ, BOUNDARY_PLUGINS="tests.helpers.fake_backend", PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "boundary.cli", "sample", str(tmp_path / "spec.yaml"), "--run",
                             str(tmp_path / "run")], env=env, cwd=str(ROOT), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    deadline = time.time() + 120
    while time.time() < deadline and len(list((tmp_path / "run" / "samples").glob("part-*.parquet"))) < 2:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    total = 8 * len(load_benchmark("mathvista", source=vista))
    assert 0 < Run(tmp_path / "run").row_count("samples") < total
    r = cli("run", tmp_path / "spec.yaml", "--run", tmp_path / "run", "--no-report")
    assert r.returncode == 0, r.stderr
    run = Run(tmp_path / "run")
    t = run.samples(["problem_id", "sample_index"])
    keys = list(zip(*(t[c].to_pylist() for c in t.column_names)))
    assert len(keys) == len(set(keys)) == total == run.row_count("verdicts")
    images = sorted((run.path / "images").iterdir())
    assert images and all(f.name.split(".")[0] == hashlib.sha256(f.read_bytes()).hexdigest() for f in images)
    assert not list(run.path.rglob(".*.tmp"))


def test_a_problem_whose_image_changed_is_refused_in_the_same_run(tmp_path):
    src = write_mathvista_github(tmp_path / "mv")
    run = Run.create(tmp_path / "r")
    sample_spec(spec(src), run)
    first = load_benchmark("mathvista", source=src)[0].id
    from tests.helpers.visual import image_bytes
    (src.parent / "images" / f"{first}.jpg").write_bytes(image_bytes("changed"))
    with pytest.raises(StoreError, match=f"problem '{first}'.*other images"):
        sample_spec(spec(src), run)
