"""The model organism: the Countdown task, the sampler against transformers, the shipped checkpoints,
reproducible training, and the demo end to end."""

from __future__ import annotations

import itertools
import json
import random
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from boundary.organism import task

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

SHIPPED = Path(__file__).resolve().parent.parent / "src" / "boundary" / "organism" / "checkpoints"


# -- the task ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("answer,status,why", [
    ("(8-5)*7+3+2", "correct", "equals 26"),
    ("8*5-7-3-2", "wrong", "equals 28"),
    ("(8-5)*7+3", "wrong", "must use each"),
    ("(8-5)*7+3+3", "wrong", "must use each"),
    ("(8-5*7+3+2", "wrong", "malformed"),
    ("8/5+7+3+2", "wrong", "malformed"),
    ("", "no_answer", "empty"),
    ("1" * 41, "wrong", "longer than 40"),
])
def test_check_hand_examples(answer, status, why):
    c = task.check(answer, task.Countdown((3, 5, 7, 8, 2), 26))
    assert c.status == status and why in c.reason


def test_parse_respects_precedence_and_never_evals():
    assert task.parse("2+3*4")[0] == 14
    assert task.parse("(2+3)*4")[0] == 20
    assert task.parse("9-(2-1)")[0] == 8
    with pytest.raises(task.ParseError):
        task.parse("__import__('os')")


def test_chance_by_hand_and_by_brute_force():
    # two numbers: a+b, a*b, a-b, b-a equally likely
    assert task.chance(task.Countdown((2, 3), 5)) == pytest.approx(0.25)
    assert task.chance(task.Countdown((2, 3), 1)) == pytest.approx(0.25)
    assert task.chance(task.Countdown((2, 3), 7)) == 0.0
    # three numbers: enumerate every guess path
    nums = (2, 3, 4)
    hits = Counter()
    total = 0
    for i, j in itertools.combinations(range(3), 2):
        rest = [nums[x] for x in range(3) if x not in (i, j)][0]
        for v in (nums[i] + nums[j], nums[i] * nums[j], nums[i] - nums[j], nums[j] - nums[i]):
            for w in (v + rest, v * rest, v - rest, rest - v):
                hits[w] += 1
                total += 1
    for target, count in hits.items():
        assert task.chance(task.Countdown(nums, target)) == pytest.approx(count / total)
    assert sum(hits.values()) == total == 48


def test_every_generated_answer_solves_its_problem_and_solutions_are_correct():
    rng = random.Random(1)
    for _ in range(200):
        problem, answer = task.random_problem(rng, 4)
        assert task.check(answer, problem).correct, (problem, answer)
        assert task.chance(problem) > 0
    p = task.Countdown((3, 5, 7), 22)
    sols = task.solutions(p)
    assert sols and all(task.check(s, p).correct for s in sols)
    assert task.solutions(task.Countdown((1, 1, 1), 50)) == []


def test_heldout_sets_are_disjoint_and_the_hard_one_is_hard():
    from boundary.organism.train import HARD_MAX_CHANCE, heldout_sets
    normal, hard = heldout_sets()
    assert len(normal) == 100 and len(hard) == 60
    assert not {p.question for p in normal} & {p.question for p in hard}
    assert all(task.chance(p) <= HARD_MAX_CHANCE for p in hard)
    assert task.chance_floor(HARD_MAX_CHANCE, 256) < 0.21


# -- the sampler ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def random_model():
    from boundary.organism.model import new_model
    return new_model(seed=3).eval()


def test_sampler_logits_equal_the_transformers_forward(random_model):
    from boundary.organism.model import encode, eos_id
    from boundary.organism.sampler import TinySampler
    ids = encode("3 5 7 8 2>26:(8-5)")
    with torch.no_grad():
        ref = random_model(torch.tensor([ids])).logits[0]
    mine = TinySampler(random_model, eos_id=eos_id()).logits(ids)
    assert torch.allclose(ref, mine, atol=1e-4)


def test_samples_depend_on_prompt_and_seed_only(random_model):
    from boundary.organism.model import encode, eos_id
    from boundary.organism.sampler import TinySampler
    s = TinySampler(random_model, eos_id=eos_id())
    a, b = encode("1 2 3>6:"), encode("9 9 8 7 6>100:")
    mixed = s.sample([a, b, a, b, a], [10, 11, 12, 13, 14], max_new_tokens=12)
    alone = s.sample([a, a], [12, 10], max_new_tokens=12)
    assert alone[0].tokens == mixed[2].tokens and alone[1].tokens == mixed[0].tokens
    assert mixed[0].tokens != mixed[2].tokens        # different seeds, different samples (random model)


def test_sampled_logprobs_equal_the_transformers_logprobs(random_model):
    from boundary.organism.model import encode, eos_id
    from boundary.organism.sampler import TinySampler
    prompt = encode("4 4 2>10:")
    out = TinySampler(random_model, eos_id=eos_id()).sample([prompt] * 3, [1, 2, 3], max_new_tokens=10)
    for o in out:
        full = prompt + list(o.tokens) + ([eos_id()] if o.finished else [])
        with torch.no_grad():
            lp = random_model(torch.tensor([full])).logits[0].log_softmax(-1)
        ref = [lp[len(prompt) - 1 + i, full[len(prompt) + i]].item() for i in range(len(full) - len(prompt))]
        assert o.token_logprobs == pytest.approx(ref, abs=1e-4)
        assert o.logprob == pytest.approx(sum(ref), abs=1e-3)


def test_greedy_sampling_is_the_argmax(random_model):
    from boundary.organism.model import encode, eos_id
    from boundary.organism.sampler import TinySampler
    s = TinySampler(random_model, eos_id=eos_id())
    prompt = encode("5 6>30:")
    g = s.sample([prompt, prompt], [1, 99], max_new_tokens=6, temperature=0.0)
    assert g[0].tokens == g[1].tokens
    logits = s.logits(prompt)
    assert g[0].tokens[0] == int(logits[-1].argmax())


# -- the shipped checkpoints ------------------------------------------------------------------------

def _manifest():
    path = SHIPPED / "manifest.json"
    if not path.is_file():
        pytest.fail(f"{path} is missing: the organism's checkpoints must ship with the package")
    return json.loads(path.read_text())


def test_shipped_checkpoints_match_the_manifest_and_fit_the_size_budget():
    from boundary._files import sha256_file as sha256
    m = _manifest()
    total = 0
    for name, info in m["models"].items():
        f = SHIPPED / info["path"] / "model.safetensors"
        assert sha256(f) == info["sha256"], f"{name}: shipped weights differ from the training manifest"
        total += sum(p.stat().st_size for p in (SHIPPED / info["path"]).iterdir())
    for name, info in m["heldout"].items():
        assert sha256(SHIPPED / info["file"]) == info["sha256"], name
    assert total <= 10 * 1024 * 1024, f"shipped checkpoints take {total / 2**20:.1f} MiB, over the 10 MiB budget"
    names = {"base", "grpo", "grpo-step25", "ppo", "rloo", "reinforce_pp", "remax", "dapo", "distilled"}
    assert names <= set(m["models"])


def test_shipped_base_reproduces_its_recorded_evaluation():
    """The evaluation recorded at training time, recomputed from the shipped files (tolerance for
    float differences between CPUs)."""
    from boundary.organism.model import load_model
    from boundary.organism.train import TrainConfig, heldout_sets, quick_eval
    m = _manifest()
    cfg = TrainConfig()
    normal, _ = heldout_sets()
    for name in ("base", "grpo"):
        ev = quick_eval(load_model(SHIPPED / name), normal[:cfg.eval_problems], cfg.eval_n)
        rec = m["models"][name]["eval"]
        assert ev["pass@1"] == pytest.approx(rec["pass@1"], abs=0.01), name
        assert ev["pass@32"] == pytest.approx(rec["pass@32"], abs=0.05), name


def test_shipped_heldout_problems_load_as_a_benchmark():
    from boundary import load_benchmark
    probs = load_benchmark("countdown")
    hard = load_benchmark("countdown-hard")
    assert len(probs) == 100 and len(hard) == 60
    p = probs[0]
    assert p.metadata["kind"] == "countdown" and 0 < p.metadata["chance"] < 1
    assert p.question == task.Countdown(tuple(p.metadata["numbers"]), p.metadata["target"]).question


def test_missing_countdown_file_is_a_clear_error(tmp_path):
    from boundary import load_benchmark
    from boundary.errors import InputError
    with pytest.raises(InputError, match="does not exist.*organism train"):
        load_benchmark("countdown", source=tmp_path / "nope.jsonl")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "question": "1 2>3:"}\n')
    with pytest.raises(InputError, match="line 1.*numbers, target and chance"):
        load_benchmark("countdown", source=bad)


# -- training is reproducible -----------------------------------------------------------------------

def test_training_is_seeded_and_reproducible(tmp_path):
    """A miniature of `boundary organism train` twice: the same bytes both times."""
    from boundary.organism.model import ModelShape
    from boundary.organism.pretrain import SFTConfig
    from boundary.organism.rl import RLConfig
    from boundary.organism.train import TrainConfig, train_all
    cfg = TrainConfig(shape=ModelShape(hidden_size=64, layers=1, heads=1, kv_heads=1, intermediate_size=64),
                      pretrain=SFTConfig(steps=3, batch_size=16), rl=RLConfig(steps=2, prompts=4, group=4),
                      algorithms=("grpo", "ppo", "dapo", "remax"), sweep_every=1,
                      distill=SFTConfig(steps=2, batch_size=16), eval_problems=4, eval_n=4, workers=2)
    seen = []
    for i in range(2):
        events = []
        m = train_all(tmp_path / f"t{i}", cfg, lambda *a, events=events: events.append(a))
        seen.append({k: v["sha256"] for k, v in m["models"].items()})
        assert {e[0] for e in events} == {"base", "grpo", "ppo", "dapo", "remax", "distilled"}
    assert seen[0] == seen[1]
    assert set(seen[0]) == {"base", "grpo-step1", "grpo", "ppo", "dapo", "remax", "distilled"}


def test_advantage_estimators_by_hand():
    from boundary.organism.rl import advantages
    r = torch.tensor([1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0])
    rloo = advantages("rloo", r, 2, 4)
    assert rloo[0].item() == pytest.approx(1.0) and rloo[1].item() == pytest.approx(-1 / 3)
    grpo = advantages("grpo", r, 2, 4)
    assert grpo[:4].sum().item() == pytest.approx(0.0, abs=1e-6) and grpo[0].item() == pytest.approx(1.5, rel=1e-4)
    remax = advantages("remax", r, 2, 4, greedy=torch.tensor([1.0, 0.0]))
    assert remax.tolist() == [0.0, -1.0, -1.0, -1.0, 1.0, 1.0, 0.0, 0.0]
    rpp = advantages("reinforce_pp", r, 2, 4)
    assert rpp.mean().item() == pytest.approx(0.0, abs=1e-6)


# -- the backend and the demo -----------------------------------------------------------------------

def test_tiny_backend_matches_transformers_on_the_shipped_base():
    from boundary.sampling.backends import create_backend
    from boundary.sampling.types import ChunkRequest, SamplingParams
    from boundary.spec import ModelSpec
    from transformers import AutoModelForCausalLM, AutoTokenizer
    spec = ModelSpec(name="base", backend="tiny", path=str(SHIPPED / "base"))
    be = create_backend(spec)
    req = ChunkRequest("countdown", "x", 0, 0, 4, 123, "3 5 7 8 2>26:")
    (r, comps), = list(be.generate([req], SamplingParams(temperature=1.0, top_p=1.0, max_tokens=24, logprobs=True)))
    again = list(be.generate([replace(req, n=2)], SamplingParams(temperature=1.0, top_p=1.0, max_tokens=24)))[0][1]
    assert [c.text for c in comps[:2]] == [c.text for c in again]
    tok = AutoTokenizer.from_pretrained(SHIPPED / "base")
    model = AutoModelForCausalLM.from_pretrained(SHIPPED / "base", dtype=torch.float32)
    for c in comps:
        assert c.finish_reason in ("stop", "length") and len(c.logprobs) == c.completion_tokens
        prompt = tok(req.prompt, add_special_tokens=False)["input_ids"]
        full = prompt + tok(c.text, add_special_tokens=False)["input_ids"] + [tok.eos_token_id]
        with torch.no_grad():
            lp = model(torch.tensor([full])).logits[0].log_softmax(-1)
        ref = [lp[len(prompt) - 1 + i, full[len(prompt) + i]].item() for i in range(len(full) - len(prompt))]
        if c.finish_reason == "stop":
            assert list(c.logprobs) == pytest.approx(ref, abs=1e-3)


def test_demo_end_to_end_small(tmp_path):
    import subprocess
    import sys
    run = tmp_path / "demo"
    r = subprocess.run([sys.executable, "-m", "boundary.cli", "demo", "--run", str(run), "--n", "16", "--limit", "6"],
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    assert (run / "report" / "index.html").is_file() and (run / "spec.yaml").is_file()
    assert "RL (grpo-step50) pass@1" in r.stdout and "Crossover" in r.stdout
    summary = json.loads((run / "report" / "summary.json").read_text())
    bench = {b["benchmark"]: b for b in summary["benchmarks"]}
    assert set(bench) == {"countdown", "countdown-hard"}
    assert bench["countdown"]["chance"] is not None            # the per-problem blind-guess floor
    assert len(bench["countdown"]["models"]) == 9
