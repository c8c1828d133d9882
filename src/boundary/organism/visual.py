"""The visual organism: Countdown with the numbers drawn in an image, a tiny LLaVA that reads them.

A problem is the organism's Countdown (:mod:`boundary.organism.task`) with its numbers moved into
a 70 × 70 image (one digit per 14-px patch of the middle row, black on white, drawn from a fixed
5 × 7 bitmap font, so the pixels depend on the numbers only) and only the target left in the text::

    image   [ 3 5 7 8 2 ]        text  "<image>\\n>26:"        answer  "(8-5)*7+3+2"

The model is a LLaVA (CLIP ViT 2 × 64 + the organism's Qwen2 shape, ~0.6 M parameters) whose image
processor maps white to 0 (``image_mean = image_std = 1``: without it the blank patches embed to a
large constant and the model never learns to read, ``../shared/reference/visual.md`` §4). The
checkpoint holds the processor config, so transformers (``AutoModelForImageTextToText`` +
``AutoProcessor``) and vLLM (``model_impl="transformers"``) preprocess exactly as training did.

Training reuses the text organism's prior (:func:`boundary.organism.task.make_example`: skewed
strategies, 40 % wrong answers) for the base and its RL estimators
(:func:`boundary.organism.rl.advantages`) for the RL run; sampling during RL and evaluation runs the
organism's KV-cache sampler on the language model with the image features spliced in.
"""

from __future__ import annotations

import io
import json
import math
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from boundary.organism import task
from boundary.organism.tiny import LLAVA_IMAGE_TOKEN, VLM_CHAT_TEMPLATE

IMAGE_SIZE = 70
PATCH = 14
SLOTS = IMAGE_SIZE // PATCH
IMAGE_TOKENS = SLOTS * SLOTS
"""Feature tokens per image (5 × 5 patches; CLIP's class token is dropped)."""
PLACEHOLDER = LLAVA_IMAGE_TOKEN

# A 5 × 7 bitmap font for the digits 1-9 (rows top to bottom), drawn 2× (10 × 14 px).
_FONT = {
    "0": ("01110", "10001", "10011", "10101", "11001", "10001", "01110"),
    "1": ("00100", "01100", "00100", "00100", "00100", "00100", "01110"),
    "2": ("01110", "10001", "00001", "00010", "00100", "01000", "11111"),
    "3": ("11111", "00010", "00100", "00010", "00001", "10001", "01110"),
    "4": ("00010", "00110", "01010", "10010", "11111", "00010", "00010"),
    "5": ("11111", "10000", "11110", "00001", "00001", "10001", "01110"),
    "6": ("00110", "01000", "10000", "11110", "10001", "10001", "01110"),
    "7": ("11111", "00001", "00010", "00100", "01000", "01000", "01000"),
    "8": ("01110", "10001", "10001", "01110", "10001", "10001", "01110"),
    "9": ("01110", "10001", "10001", "01111", "00001", "00010", "01100"),
}


# -- the image ------------------------------------------------------------------------------------

def render(numbers: Sequence[int]):
    """The problem's image as a uint8 array [70, 70, 3]: digit i in patch i of the middle row."""
    import numpy as np
    if not 1 <= len(numbers) <= SLOTS or any(not 0 <= int(x) <= 9 for x in numbers):
        raise ValueError(f"the visual organism draws 1 to {SLOTS} one-digit numbers, got {list(numbers)}.")
    img = np.full((IMAGE_SIZE, IMAGE_SIZE, 3), 255, dtype=np.uint8)
    y0 = (SLOTS // 2) * PATCH
    for i, x in enumerate(numbers):
        glyph = np.array([[c == "1" for c in row] for row in _FONT[str(int(x))]])
        big = glyph.repeat(2, 0).repeat(2, 1)                       # 14 × 10
        x0 = i * PATCH + 2
        img[y0:y0 + 14, x0:x0 + 10][big] = 0
    return img


def render_png(numbers: Sequence[int]) -> bytes:
    """The image as PNG bytes (what the benchmark ships and the engines read)."""
    from PIL import Image
    buf = io.BytesIO()
    Image.fromarray(render(numbers)).save(buf, format="PNG", optimize=False)
    return buf.getvalue()


def pixels(numbers_list: Sequence[Sequence[int]]):
    """Model input [B, 3, 70, 70], as the saved processor computes it: x / 255 − 1 (white → 0)."""
    import numpy as np
    import torch
    arr = np.stack([_pixels_one(tuple(int(x) for x in n)) for n in numbers_list])
    return torch.from_numpy(arr)


@lru_cache(maxsize=8192)
def _pixels_one(numbers: tuple[int, ...]):
    import numpy as np
    return (render(numbers).astype(np.float32) / 255.0 - 1.0).transpose(2, 0, 1).copy()


def question(problem: task.Countdown) -> str:
    """The text part of a visual problem: the target only (the numbers are in the image)."""
    return f">{problem.target}:"


# -- the model ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class VisualShape:
    vision_hidden: int = 64
    vision_layers: int = 2
    vision_heads: int = 2
    hidden_size: int = 128
    layers: int = 3
    heads: int = 2
    kv_heads: int = 1
    intermediate_size: int = 256
    max_positions: int = 96


_TOK = None


def tokenizer():
    """The organism's byte-level tokenizer with ``<image>`` (id 3) and the VLM chat template."""
    global _TOK
    if _TOK is None:
        from boundary.organism.tokenizer import make_char_tokenizer
        _TOK = make_char_tokenizer(extra_specials={"image_token": PLACEHOLDER}, chat_template=VLM_CHAT_TEMPLATE)
    return _TOK


def image_token_id() -> int:
    return int(tokenizer().convert_tokens_to_ids(PLACEHOLDER))


def eos_id() -> int:
    return int(tokenizer().eos_token_id)


def encode(text: str) -> list[int]:
    return tokenizer()(text, add_special_tokens=False)["input_ids"]


def decode(ids) -> str:
    return tokenizer().decode(list(ids), skip_special_tokens=True)


def prompt_ids(problem: task.Countdown) -> list[int]:
    """The prompt as the processor expands it: 25 image tokens, then ``"\\n>26:"`` (the raw template
    with the placeholder on its own line before the question, as the sample stage renders it)."""
    return [image_token_id()] * IMAGE_TOKENS + encode("\n" + question(problem))


def new_processor():
    import transformers
    from transformers import LlavaProcessor
    cls = getattr(transformers, "CLIPImageProcessorPil", None) or transformers.CLIPImageProcessor
    image_processor = cls(size={"shortest_edge": IMAGE_SIZE}, crop_size={"height": IMAGE_SIZE, "width": IMAGE_SIZE},
                          do_resize=True, do_center_crop=True, do_convert_rgb=True,
                          image_mean=[1.0, 1.0, 1.0], image_std=[1.0, 1.0, 1.0])
    return LlavaProcessor(image_processor=image_processor, tokenizer=tokenizer(), patch_size=PATCH,
                          vision_feature_select_strategy="default", chat_template=VLM_CHAT_TEMPLATE,
                          num_additional_image_tokens=1)


def new_model(shape: VisualShape = VisualShape(), *, seed: int = 0):
    """A freshly initialised LlavaForConditionalGeneration (float32)."""
    import torch
    from transformers import CLIPVisionConfig, LlavaConfig, LlavaForConditionalGeneration, Qwen2Config
    tok = tokenizer()
    vision = CLIPVisionConfig(hidden_size=shape.vision_hidden, intermediate_size=shape.vision_hidden * 2,
                              num_hidden_layers=shape.vision_layers, num_attention_heads=shape.vision_heads,
                              image_size=IMAGE_SIZE, patch_size=PATCH, projection_dim=shape.vision_hidden)
    text = Qwen2Config(  # type: ignore[call-arg,unused-ignore]
        vocab_size=len(tok), hidden_size=shape.hidden_size, intermediate_size=shape.intermediate_size,
        num_hidden_layers=shape.layers, num_attention_heads=shape.heads, num_key_value_heads=shape.kv_heads,
        max_position_embeddings=shape.max_positions, tie_word_embeddings=True,
        bos_token_id=None, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id, use_sliding_window=False)
    config = LlavaConfig(vision_config=vision, text_config=text, image_token_index=image_token_id(),
                         vision_feature_select_strategy="default", vision_feature_layer=-1,
                         image_seq_length=IMAGE_TOKENS, projector_hidden_act="gelu", tie_word_embeddings=True)
    torch.manual_seed(seed)
    model = LlavaForConditionalGeneration(config)
    model.generation_config.eos_token_id = tok.eos_token_id
    model.generation_config.pad_token_id = tok.pad_token_id
    return model


def save_checkpoint(model, out_dir: str | Path) -> Path:
    """fp16 safetensors, the tokenizer and the processor (image normalisation included)."""
    import torch
    import copy
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    config = copy.deepcopy(model.config)
    for sub in (config.text_config, config.vision_config):
        sub.dtype = None               # a model loaded in float32 records it here; the top level's float16 holds
    half = type(model)(config)
    half.load_state_dict(model.state_dict())
    half = half.to(torch.float16)
    half.generation_config = model.generation_config
    half.save_pretrained(str(out), safe_serialization=True)
    new_processor().save_pretrained(str(out))
    vocab = dict(sorted(tokenizer().get_vocab().items(), key=lambda kv: kv[1]))   # by id: the same bytes every time
    (out / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False))
    (out / "merges.txt").write_text("#version: 0.2\n")
    return out


def load_model(path: str | Path, *, dtype: str = "float32"):
    import torch
    from transformers import LlavaForConditionalGeneration
    return LlavaForConditionalGeneration.from_pretrained(str(path), dtype=getattr(torch, dtype))


def image_features(model, pv):
    """Projected image features [B, 25, C] of pixel values [B, 3, 70, 70]."""
    out = model.model.get_image_features(pixel_values=pv, vision_feature_layer=-1,
                                         vision_feature_select_strategy="default")
    f = getattr(out, "pooler_output", out)
    if isinstance(f, (list, tuple)):
        import torch
        f = torch.stack(list(f))
    return f.reshape(pv.shape[0], IMAGE_TOKENS, -1)


class _LM:
    """The language half of a LLaVA as the organism's sampler reads a Qwen2ForCausalLM."""

    def __init__(self, model):
        self.config = model.config.text_config
        self.model = model.model.language_model
        self.lm_head = model.lm_head


def sample(model, problems: Sequence[task.Countdown], n: int, *, seed: int = 0, max_new_tokens: int = 24,
           temperature: float = 1.0, seeds: Sequence[int] | None = None):
    """``n`` samples per problem (rows problem-major) with the organism's seeded sampler."""
    import torch

    from boundary.organism.sampler import TinySampler
    with torch.inference_mode():
        feats = image_features(model, pixels([p.numbers for p in problems]))
    sampler = TinySampler(_LM(model), eos_id=eos_id(), image_token_id=image_token_id())
    per = [feats[i] for i in range(len(problems))]
    prompts = [prompt_ids(p) for p in problems for _ in range(n)]
    images = [per[i] for i in range(len(problems)) for _ in range(n)]
    seeds = list(seeds) if seeds is not None else [seed + i for i in range(len(prompts))]
    return sampler.sample(prompts, seeds, max_new_tokens=max_new_tokens, temperature=temperature, images=images)


def uses_numbers(text: str, problem: task.Countdown) -> bool:
    """Whether an answer is an expression over exactly the image's numbers (read right, whatever its value)."""
    from collections import Counter
    try:
        _, used = task.parse(text.strip())
    except task.ParseError:
        return False
    return Counter(used) == Counter(problem.numbers)


def quick_eval(model, problems: Sequence[task.Countdown], n: int, seed: int = 0) -> dict:
    """pass@1, pass@n and the share of samples that use exactly the image's numbers."""
    out = sample(model, problems, n, seed=seed)
    solved = correct = read = 0
    for i, p in enumerate(problems):
        texts = [decode(s.tokens) for s in out[i * n:(i + 1) * n] if s.finished]
        c = sum(1 for t in texts if task.check(t, p).correct)
        read += sum(1 for t in texts if uses_numbers(t, p))
        correct += c
        solved += c > 0
    total = n * len(problems)
    return {"pass@1": correct / total, f"pass@{n}": solved / len(problems), "numbers_read": read / total,
            "problems": len(problems), "n": n}


# -- training -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PretrainConfig:
    steps: int = 500
    batch_size: int = 64
    lr: float = 3e-3
    warmup: int = 30
    weight_decay: float = 0.01
    seed: int = 0


@dataclass(frozen=True)
class VisualRLConfig:
    algorithm: str = "grpo"
    steps: int = 150
    prompts: int = 16
    group: int = 16
    lr: float = 2e-4
    minibatches: int = 1
    """1: on-policy (one gradient step per batch, the ratio is 1); more: PPO's clipped surrogate matters."""
    clip: float = 0.2
    max_new_tokens: int = 24
    size: int = 5
    seed: int = 0
    save_every: int = 75

    def __post_init__(self):
        if self.algorithm not in ("grpo", "rloo", "reinforce_pp"):
            raise ValueError(f"the visual organism's RL supports grpo, rloo and reinforce_pp, not {self.algorithm!r}.")


def _batch(model_inputs: Sequence[tuple[task.Countdown, list[int]]]):
    """Right-padded ids, mask, pixel values and the answer mask of (problem, answer ids + eos) rows."""
    import torch
    eos = eos_id()
    seqs, starts = [], []
    for p, ans in model_inputs:
        q = prompt_ids(p)
        seqs.append(q + ans)
        starts.append(len(q))
    width = max(map(len, seqs))
    ids = torch.full((len(seqs), width), eos, dtype=torch.long)
    mask = torch.zeros((len(seqs), width), dtype=torch.long)
    amask = torch.zeros((len(seqs), width), dtype=torch.bool)
    for i, (s, st) in enumerate(zip(seqs, starts)):
        ids[i, :len(s)] = torch.tensor(s)
        mask[i, :len(s)] = 1
        amask[i, st:len(s)] = True
    return ids, mask, pixels([p.numbers for p, _ in model_inputs]), amask


def pretrain_examples(seed: int, exclude: set[str]) -> Iterator[tuple[task.Countdown, str]]:
    """The text organism's pre-training prior (:func:`task.make_example`), numbers in the image."""
    rng = random.Random(seed)
    while True:
        problem, answer, _ = task.make_example(rng)
        if problem.question not in exclude:
            yield problem, answer


def _lr(step: int, total: int, lr: float, warmup: int) -> float:
    if step < warmup:
        return lr * (step + 1) / warmup
    t = (step - warmup) / max(1, total - warmup)
    return lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * t)))


def pretrain(model, cfg: PretrainConfig, exclude: set[str], progress: Callable[[int, dict], None] | None = None,
             state: dict | None = None) -> list[float]:
    """Supervised pre-training in place (loss on the answer tokens); resumable from ``state``
    (``{"step", "model", "opt", "losses"}``, what ``progress``'s checkpoint callback saves)."""
    import torch
    torch.manual_seed(cfg.seed)
    examples = pretrain_examples(cfg.seed, exclude)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay, betas=(0.9, 0.98))
    losses: list[float] = []
    start = 0
    if state:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        losses, start = list(state["losses"]), int(state["step"])
        for _ in range(start * cfg.batch_size):           # the data stream resumes where it stopped
            next(examples)
    model.train()
    for step in range(start, cfg.steps):
        for g in opt.param_groups:
            g["lr"] = _lr(step, cfg.steps, cfg.lr, cfg.warmup)
        rows = [next(examples) for _ in range(cfg.batch_size)]
        ids, mask, pv, amask = _batch([(p, encode(a) + [eos_id()]) for p, a in rows])
        logits = model(input_ids=ids, attention_mask=mask, pixel_values=pv).logits
        labels = ids.masked_fill(~amask, -100)
        loss = torch.nn.functional.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]),
                                                 labels[:, 1:].reshape(-1), ignore_index=-100)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        losses.append(float(loss.detach()))
        if progress is not None:
            progress(step + 1, {"loss": losses[-1], "_opt": opt, "_losses": losses})
    model.eval()
    return losses


def _rl_problems(rng: random.Random, count: int, size: int, exclude: set[str]) -> list[task.Countdown]:
    out: list[task.Countdown] = []
    while len(out) < count:
        p, _ = task.random_problem(rng, size)
        if p.question not in exclude:
            out.append(p)
    return out


def train_rl(model, cfg: VisualRLConfig, exclude: set[str], progress: Callable[[int, dict], None] | None = None,
             state: dict | None = None) -> tuple[list[dict], dict[int, dict]]:
    """RL with 0/1 rewards in place (the text organism's clipped surrogate and estimators, no KL).
    Returns (per-step stats, {step: state_dict snapshot}); resumable from ``state``."""
    import torch

    from boundary.organism.rl import advantages
    torch.manual_seed(cfg.seed)
    rng = random.Random(cfg.seed)
    eos, img = eos_id(), image_token_id()
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=0.0, betas=(0.9, 0.99))
    history: list[dict] = []
    start = 0
    if state:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        history, start = list(state["history"]), int(state["step"])
        rng.setstate(state["rng"])
        torch.set_rng_state(state["torch_rng"])
    snapshots: dict[int, dict] = {}
    for step in range(start + 1, cfg.steps + 1):
        model.eval()
        problems = _rl_problems(rng, cfg.prompts, cfg.size, exclude)
        seeds = [cfg.seed * 1_000_003 + step * 100_000 + i for i in range(cfg.prompts * cfg.group)]
        out = sample(model, problems, cfg.group, seeds=seeds, max_new_tokens=cfg.max_new_tokens)
        # a sample that emits the image token is cut there and rewarded 0 (fed back, the token would
        # ask the model for image features it does not have)
        answers = [(list(s.tokens)[:s.tokens.index(img)], False) if img in s.tokens
                   else (list(s.tokens), s.finished) for s in out]
        rewards = [1.0 if fin and task.check(decode(toks), problems[i // cfg.group]).correct else 0.0
                   for i, (toks, fin) in enumerate(answers)]
        rew = torch.tensor(rewards)
        adv = advantages(cfg.algorithm, rew, len(problems), cfg.group)
        rows = [(problems[i // cfg.group], toks + ([eos] if fin else [])) for i, (toks, fin) in enumerate(answers)]
        ids, mask, pv, amask = _batch(rows)
        targets = ids[:, 1:]
        tm = amask[:, 1:].float()                                   # next-token predictions that are answer tokens
        old = None
        if cfg.minibatches > 1:                                     # later minibatches are off-policy
            with torch.no_grad():
                old = model(input_ids=ids, attention_mask=mask, pixel_values=pv).logits[:, :-1].log_softmax(-1)
                old = old.gather(-1, targets.unsqueeze(-1)).squeeze(-1)
        model.train()
        for mb in torch.randperm(len(rows)).chunk(cfg.minibatches):
            logits = model(input_ids=ids[mb], attention_mask=mask[mb], pixel_values=pv[mb]).logits[:, :-1]
            logp = logits.log_softmax(-1).gather(-1, targets[mb].unsqueeze(-1)).squeeze(-1)
            a = adv[mb].unsqueeze(1)
            ratio = (logp - (old[mb] if old is not None else logp.detach())).exp()
            surr = torch.minimum(ratio * a, ratio.clamp(1 - cfg.clip, 1 + cfg.clip) * a)
            loss = -((surr * tm[mb]).sum(1) / tm[mb].sum(1).clamp(min=1)).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
        model.eval()
        history.append({"step": step, "reward": float(rew.mean())})
        if cfg.save_every and step % cfg.save_every == 0 and step != cfg.steps:
            snapshots[step] = {k: v.detach().clone() for k, v in model.state_dict().items()}
        if progress is not None:
            progress(step, {"reward": history[-1]["reward"], "_opt": opt, "_history": history, "_rng": rng,
                            "_snapshots": snapshots})
    return history, snapshots


# -- the benchmark --------------------------------------------------------------------------------

BENCHMARK = "countdown-visual"
SHIPPED = Path(__file__).parent / "checkpoints" / "visual"


def shipped_dir() -> Path:
    """Where the package ships the visual organism (checkpoints, benchmark, manifest)."""
    return SHIPPED
HELDOUT_COUNT = 60


def heldout() -> list[task.Countdown]:
    """The held-out problems: the first 60 of the text organism's ``countdown`` set (five numbers,
    never trained on by either organism)."""
    from boundary.organism.train import heldout_sets
    return heldout_sets()[0][:HELDOUT_COUNT]


def write_benchmark(problems: Sequence[task.Countdown], out_dir: str | Path) -> Path:
    """``heldout.jsonl`` + ``images/<id>.png``: one line per problem (id, question = the text part,
    answer, numbers, target, chance, image = the PNG's path relative to the file)."""
    out = Path(out_dir)
    (out / "images").mkdir(parents=True, exist_ok=True)
    with open(out / "heldout.jsonl", "w", encoding="utf-8") as f:
        for i, p in enumerate(problems):
            pid = f"{BENCHMARK}-{i:03d}"
            (out / "images" / f"{pid}.png").write_bytes(render_png(p.numbers))
            f.write(json.dumps({"id": pid, "question": question(p), "answer": str(p.target),
                                "numbers": list(p.numbers), "target": p.target, "chance": task.chance(p),
                                "image": f"images/{pid}.png"}) + "\n")
    return out / "heldout.jsonl"


def load_benchmark(source: str | Path):
    """The benchmark's problems (kind ``countdown``: the text organism's verifier), each with its image
    entry as the visual track stores them (``metadata["images"]``, checked and hashed at load)."""
    from boundary.errors import InputError
    from boundary.tasks.problem import Problem
    from boundary.tasks.visual import check_image
    path = Path(source)
    if not path.is_file():
        raise InputError(f"benchmark {BENCHMARK!r}: the file does not exist. Omit `source` to use the problems "
                         "shipped with boundary, or run `boundary organism train --visual --out DIR` and point "
                         "`source` at DIR/heldout.jsonl.", path=str(path))
    out = []
    with open(path, encoding="utf-8") as f:
        for line_no, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                image = (path.parent / str(row["image"])).resolve()
                meta: dict[str, Any] = {"kind": "countdown", "numbers": [int(x) for x in row["numbers"]],
                                        "target": int(row["target"]), "chance": float(row["chance"])}
            except (ValueError, KeyError, TypeError) as e:
                raise InputError(f"not a visual countdown problem ({type(e).__name__}: {e}); each line needs id, "
                                 "question, numbers, target, chance and image.", path=str(path), line=line_no) from e
            if not image.is_file():
                raise InputError(f"problem {row['id']!r}: its image {image} does not exist.", path=str(path),
                                 line=line_no)
            entry = check_image(image.read_bytes(), what=f"{BENCHMARK} problem {row['id']!r} ({image})")
            meta["images"] = [{**entry, "source": str(image)}]
            out.append(Problem(BENCHMARK, str(row["id"]), str(row["question"]), str(row["target"]), meta))
    if not out:
        raise InputError("no problems in the file.", path=str(path))
    return out


# -- the rebuild ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class VisualTrainConfig:
    shape: VisualShape = VisualShape()
    pretrain: PretrainConfig = PretrainConfig()
    rl: VisualRLConfig = VisualRLConfig()
    eval_problems: int = 40
    eval_n: int = 32
    seed: int = 0
    save_state_every: int = 50
    """Training state (weights, optimiser, data position) is saved this often, for resuming."""


def _finish(out: Path, name: str, model, card: dict, cfg: VisualTrainConfig) -> dict:
    path = save_checkpoint(model, out / name)
    shipped = load_model(path)
    card = {**card, "eval": quick_eval(shipped, heldout()[:cfg.eval_problems], cfg.eval_n)}
    tmp = path / "organism.json.tmp"
    tmp.write_text(json.dumps(card, indent=2, sort_keys=True) + "\n")
    tmp.replace(path / "organism.json")
    return card


def _done(out: Path, name: str) -> dict | None:
    f = out / name / "organism.json"
    return json.loads(f.read_text()) if f.is_file() else None


def rl_name(cfg: VisualTrainConfig) -> str:
    return cfg.rl.algorithm


def checkpoint_names(cfg: VisualTrainConfig) -> list[str]:
    steps = range(cfg.rl.save_every, cfg.rl.steps, cfg.rl.save_every) if cfg.rl.save_every else ()
    return ["base"] + [f"{rl_name(cfg)}-step{s}" for s in steps] + [rl_name(cfg)]


def train_visual(out_dir: str | Path, cfg: VisualTrainConfig = VisualTrainConfig(),
                 progress: Callable[[str, int, int, dict], None] | None = None) -> dict:
    """Build the visual organism into ``out_dir``: the benchmark, ``base``, the RL run and its
    intermediate checkpoints, ``manifest.json``. Resumable: finished checkpoints are skipped, and a
    stage that was stopped restarts from its last saved state (``*.state.pt``, every
    ``save_state_every`` steps; removed when the stage ends). ``progress(stage, done, total, stats)``."""
    import torch

    from transformers.utils import logging as hf_logging

    from boundary._files import sha256_file
    from boundary.organism.train import heldout_sets
    hf_logging.disable_progress_bar()                # "Loading weights" bars would interleave with the stages'
    torch.set_num_threads(1)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    started = time.time()
    write_benchmark(heldout(), out)
    normal, hard = heldout_sets()
    exclude = {p.question for p in normal + hard}

    def saver(stage: str, total: int, make_state: Callable[[int, dict], dict]):
        state_file = out / f"{stage}.state.pt"

        def tick(step: int, stats: dict):
            if progress is not None:
                progress(stage, step, total, {k: v for k, v in stats.items() if not k.startswith("_")})
            if step % cfg.save_state_every == 0 and step != total:
                tmp = state_file.with_suffix(".tmp")
                torch.save(make_state(step, stats), tmp)
                tmp.replace(state_file)
        return tick, state_file

    # 1. base
    if _done(out, "base") is None:
        t0 = time.time()
        model = new_model(cfg.shape, seed=cfg.seed)
        tick, state_file = saver("base", cfg.pretrain.steps, lambda step, st: {
            "step": step, "model": model.state_dict(), "opt": st["_opt"].state_dict(), "losses": st["_losses"]})
        state = torch.load(state_file, weights_only=False) if state_file.is_file() else None
        losses = pretrain(model, cfg.pretrain, exclude, tick, state)
        _finish(out, "base", model, {"stage": "pretrain", "config": asdict(cfg.pretrain), "final_loss": losses[-1],
                                     "seconds": round(time.time() - t0, 1)}, cfg)
        state_file.unlink(missing_ok=True)
    elif progress:
        progress("base", cfg.pretrain.steps, cfg.pretrain.steps, {})

    # 2. RL from the saved (fp16) base
    name = rl_name(cfg)
    if any(_done(out, x) is None for x in checkpoint_names(cfg)[1:]):
        t0 = time.time()
        model = load_model(out / "base")
        tick, state_file = saver(name, cfg.rl.steps, lambda step, st: {
            "step": step, "model": model.state_dict(), "opt": st["_opt"].state_dict(), "history": st["_history"],
            "rng": st["_rng"].getstate(), "torch_rng": torch.get_rng_state(),
            "seconds": seconds0 + time.time() - t0})
        state = torch.load(state_file, weights_only=False) if state_file.is_file() else None
        seconds0 = float(state.get("seconds", 0.0)) if state else 0.0

        def tick_and_snap(step: int, stats: dict):
            tick(step, stats)
            snaps = stats.get("_snapshots") or {}
            if step in snaps and _done(out, f"{name}-step{step}") is None:
                snap = new_model(cfg.shape, seed=cfg.seed)
                snap.load_state_dict(snaps.pop(step))
                _finish(out, f"{name}-step{step}", snap, {"stage": "rl", "algorithm": name, "step": step,
                                                          "config": asdict(cfg.rl)}, cfg)
        history, _ = train_rl(model, cfg.rl, exclude, tick_and_snap, state)
        _finish(out, name, model, {"stage": "rl", "algorithm": name, "step": cfg.rl.steps, "config": asdict(cfg.rl),
                                   "reward": [round(h["reward"], 4) for h in history],
                                   "seconds": round(seconds0 + time.time() - t0, 1)}, cfg)
        state_file.unlink(missing_ok=True)
    elif progress:
        progress(name, cfg.rl.steps, cfg.rl.steps, {})

    models = {}
    for n in checkpoint_names(cfg):
        rec = _done(out, n)
        assert rec is not None, n
        models[n] = {"path": n, "sha256": sha256_file(out / n / "model.safetensors"), **rec}
    manifest = {"format": 1, "seconds": round(time.time() - started, 1), "torch": torch.__version__,
                "shape": asdict(cfg.shape), "models": models,
                "heldout": {BENCHMARK: {"file": "heldout.jsonl", "sha256": sha256_file(out / "heldout.jsonl")}},
                "images": {p.name: sha256_file(p) for p in sorted((out / "images").glob("*.png"))}}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


__all__ = ["render", "render_png", "pixels", "question", "VisualShape", "new_model", "new_processor",
           "save_checkpoint", "load_model", "sample", "quick_eval", "uses_numbers", "PretrainConfig",
           "VisualRLConfig", "VisualTrainConfig", "pretrain", "train_rl", "write_benchmark", "load_benchmark",
           "train_visual", "heldout", "BENCHMARK", "shipped_dir"]
