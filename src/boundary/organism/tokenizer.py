"""A byte-level tokenizer with no merges: one token per byte, as a real Hugging Face tokenizer.

Every printable ASCII character is one token (the models read and write arithmetic character by
character), any other text falls back to its UTF-8 bytes, so nothing is ever unknown. It uses
the same byte-level BPE machinery as Qwen2's tokenizer (with an empty merge list), so
``transformers`` (which rebuilds Qwen2 tokenizers from vocab + merges) and vLLM load it exactly
as saved. The Qwen chat specials (``<|im_start|>``, ``<|im_end|>``, ``<|endoftext|>``) are
special tokens, so the paper's templates render as they do for Qwen models.
"""

from __future__ import annotations

import json
from pathlib import Path

SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]

CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def _bytes_to_unicode() -> dict[int, str]:
    """GPT-2's reversible byte -> printable unicode map (what ByteLevel pre-tokenizers use)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


CHARS = [_bytes_to_unicode()[b] for b in range(256)]


def make_char_tokenizer(out_dir: str | Path | None = None, *, extra_specials: dict[str, str] | None = None,
                        chat_template: str = CHAT_TEMPLATE):
    """Build the tokenizer; save it to ``out_dir`` when given. Returns a PreTrainedTokenizerFast.

    ``extra_specials`` (attribute name -> token, e.g. ``{"image_token": "<image>"}``) adds special
    tokens after the Qwen ones (ids 3, 4, ...; the byte tokens move up) and names them as the
    tokenizer's attributes, as multimodal processors expect. Without it the ids are the organism's.
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    extra = dict(extra_specials or {})
    specials = SPECIALS + [t for t in extra.values() if t not in SPECIALS]
    vocab = {tok: i for i, tok in enumerate(specials + CHARS)}
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens(specials)
    kwargs = {"extra_special_tokens": extra} if extra else {}
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|endoftext|>", pad_token="<|endoftext|>",
                                   bos_token=None, unk_token=None, **kwargs)
    fast.chat_template = chat_template
    if out_dir is not None:
        out_dir = Path(out_dir)
        fast.save_pretrained(str(out_dir))
        # transformers rebuilds Qwen2 tokenizers from vocab.json + merges.txt when it finds them
        (out_dir / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False))
        (out_dir / "merges.txt").write_text("#version: 0.2\n")
    return fast
