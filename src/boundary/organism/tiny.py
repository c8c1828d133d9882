"""A tiny random-weight Qwen2 checkpoint for plumbing tests of the real engines."""

from __future__ import annotations

from pathlib import Path


def make_tiny_checkpoint(out_dir: str | Path, *, seed: int = 0, hidden_size: int = 128, layers: int = 2,
                         heads: int = 2, kv_heads: int = 1, max_positions: int = 1024) -> Path:
    """Write a Qwen2ForCausalLM with the character tokenizer to ``out_dir`` (safetensors, float32).

    ~0.3M parameters, head_dim 64 (vLLM's CPU attention supports 32/64/128...): loads in a second
    with transformers and is a valid vLLM model.
    """
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    from boundary.organism.tokenizer import make_char_tokenizer

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tok = make_char_tokenizer(out)
    # transformers>=4.40 is supported and all of them take `torch_dtype` (v5's typed config declares only
    # `dtype` and takes torch_dtype through **kwargs); `unused-ignore`: untyped in transformers 4.
    config = Qwen2Config(  # type: ignore[call-arg,unused-ignore]
        vocab_size=len(tok), hidden_size=hidden_size, intermediate_size=hidden_size * 2,
        num_hidden_layers=layers, num_attention_heads=heads, num_key_value_heads=kv_heads,
        max_position_embeddings=max_positions, tie_word_embeddings=True, torch_dtype="float32",
        bos_token_id=None, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id,
        use_sliding_window=False,
    )
    torch.manual_seed(seed)
    model = Qwen2ForCausalLM(config)
    model.generation_config.eos_token_id = tok.eos_token_id
    model.generation_config.pad_token_id = tok.pad_token_id
    model.save_pretrained(str(out), safe_serialization=True)
    return out
