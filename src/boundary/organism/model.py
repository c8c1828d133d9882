"""The organism's model: a Qwen2ForCausalLM small enough to train on a laptop CPU.

Training uses the transformers model itself; checkpoints are written with ``save_pretrained``
(fp16 safetensors, the character tokenizer beside them), so vLLM and transformers load them like
any Hugging Face model.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from boundary.organism.tokenizer import make_char_tokenizer


@dataclass(frozen=True)
class ModelShape:
    hidden_size: int = 128
    layers: int = 3
    heads: int = 2
    kv_heads: int = 1
    intermediate_size: int = 256
    max_positions: int = 64


def new_model(shape: ModelShape = ModelShape(), *, seed: int = 0):
    """A freshly initialised Qwen2ForCausalLM (float32) with the character tokenizer's vocabulary."""
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    tok = char_tokenizer()
    config = Qwen2Config(
        vocab_size=len(tok), hidden_size=shape.hidden_size, intermediate_size=shape.intermediate_size,
        num_hidden_layers=shape.layers, num_attention_heads=shape.heads, num_key_value_heads=shape.kv_heads,
        max_position_embeddings=shape.max_positions, tie_word_embeddings=True,
        bos_token_id=None, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id,
        use_sliding_window=False)
    torch.manual_seed(seed)
    model = Qwen2ForCausalLM(config)
    model.generation_config.eos_token_id = tok.eos_token_id
    model.generation_config.pad_token_id = tok.pad_token_id
    return model


_TOKENIZER = None


def char_tokenizer():
    global _TOKENIZER
    if _TOKENIZER is None:
        _TOKENIZER = make_char_tokenizer()
    return _TOKENIZER


def encode(text: str) -> list[int]:
    return char_tokenizer()(text, add_special_tokens=False)["input_ids"]


def decode(ids) -> str:
    return char_tokenizer().decode(list(ids), skip_special_tokens=True)


def eos_id() -> int:
    return char_tokenizer().eos_token_id


def save_checkpoint(model, out_dir: str | Path, *, card: dict | None = None) -> Path:
    """Write ``model`` as fp16 safetensors with the tokenizer and ``organism.json`` (how it was made)."""
    import torch

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    half = type(model)(model.config)
    half.load_state_dict(model.state_dict())
    half = half.to(torch.float16)
    half.generation_config = model.generation_config
    half.save_pretrained(str(out), safe_serialization=True)
    make_char_tokenizer(out)
    if card is not None:
        (out / "organism.json").write_text(json.dumps(card, indent=2, sort_keys=True) + "\n")
    return out


def load_model(path: str | Path, *, dtype: str = "float32"):
    """Load a checkpoint with transformers (for training or scoring), in float32 by default."""
    import torch
    from transformers import Qwen2ForCausalLM

    return Qwen2ForCausalLM.from_pretrained(str(path), dtype=getattr(torch, dtype))


__all__ = ["ModelShape", "new_model", "save_checkpoint", "load_model", "encode", "decode", "eos_id",
           "char_tokenizer", "asdict"]
