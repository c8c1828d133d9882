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


#: The tiny LLaVA's image placeholder in a text prompt (one per image; the processor and vLLM expand it).
LLAVA_IMAGE_TOKEN = "<image>"

#: A chat template for content parts (``{"type": "image"}`` renders the placeholder, then a newline) and
#: plain string contents; iterating over the parts is what makes vLLM pass them as parts ("openai"
#: content format) instead of flattening them into a string.
VLM_CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}{% else %}"
    "{% for part in message['content'] %}{% if part['type'] == 'image' %}" + LLAVA_IMAGE_TOKEN + "\n"
    "{% elif part['type'] == 'text' %}{{ part['text'] }}{% endif %}{% endfor %}{% endif %}"
    "<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def make_tiny_llava_checkpoint(out_dir: str | Path, *, seed: int = 0, image_size: int = 56, patch_size: int = 14,
                               vision_hidden: int = 64, hidden_size: int = 128, layers: int = 3, heads: int = 2,
                               kv_heads: int = 1, max_positions: int = 1024, init_std: float = 0.1) -> Path:
    """Write a random-weight LLaVA (CLIP ViT + Qwen2 LM) with its processor to ``out_dir`` (float32).

    ~0.6M parameters: the vision tower sees ``image_size``² pixels in ``patch_size``² patches, so an
    image is ``(image_size // patch_size)²`` feature tokens (16 by default) that replace one
    ``<image>`` token of the prompt. The tokenizer is the organism's byte-level one with ``<image>``
    added (id 3) and :data:`VLM_CHAT_TEMPLATE`. ``init_std``: the weights'
    initial standard deviation (0.1, not the usual 0.02: peakier next-token distributions that
    depend on the image visibly). It loads with transformers
    (``AutoModelForImageTextToText`` + ``AutoProcessor``) and with vLLM through its Transformers
    backend (``model_impl="transformers"``; vLLM's native LLaVA needs torchvision).
    """
    import torch
    import transformers
    from transformers import CLIPVisionConfig, LlavaConfig, LlavaForConditionalGeneration, LlavaProcessor, Qwen2Config

    from boundary.organism.tokenizer import make_char_tokenizer

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tok = make_char_tokenizer(out, extra_specials={"image_token": LLAVA_IMAGE_TOKEN},
                              chat_template=VLM_CHAT_TEMPLATE)
    image_id = tok.convert_tokens_to_ids(LLAVA_IMAGE_TOKEN)
    # the PIL image processor (transformers 5); the plain class elsewhere (it needs torchvision in 5)
    processor_cls = getattr(transformers, "CLIPImageProcessorPil", None) or transformers.CLIPImageProcessor
    image_processor = processor_cls(size={"shortest_edge": image_size},
                                    crop_size={"height": image_size, "width": image_size},
                                    do_resize=True, do_center_crop=True, do_convert_rgb=True)
    vision = CLIPVisionConfig(hidden_size=vision_hidden, intermediate_size=vision_hidden * 2, num_hidden_layers=2,
                              num_attention_heads=2, image_size=image_size, patch_size=patch_size,
                              projection_dim=vision_hidden, initializer_range=init_std)
    text = Qwen2Config(  # type: ignore[call-arg,unused-ignore]
        vocab_size=len(tok), hidden_size=hidden_size, intermediate_size=hidden_size * 2,
        num_hidden_layers=layers, num_attention_heads=heads, num_key_value_heads=kv_heads,
        max_position_embeddings=max_positions, tie_word_embeddings=True, torch_dtype="float32",
        bos_token_id=None, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id, use_sliding_window=False,
        initializer_range=init_std)
    config = LlavaConfig(vision_config=vision, text_config=text, image_token_index=image_id,
                         vision_feature_select_strategy="default", vision_feature_layer=-1,
                         image_seq_length=(image_size // patch_size) ** 2, projector_hidden_act="gelu",
                         tie_word_embeddings=True)
    torch.manual_seed(seed)
    model = LlavaForConditionalGeneration(config)
    model.generation_config.eos_token_id = tok.eos_token_id
    model.generation_config.pad_token_id = tok.pad_token_id
    model.save_pretrained(str(out), safe_serialization=True)
    processor = LlavaProcessor(image_processor=image_processor, tokenizer=tok, patch_size=patch_size,
                               vision_feature_select_strategy="default", chat_template=VLM_CHAT_TEMPLATE,
                               num_additional_image_tokens=1)       # CLIP's CLS token, dropped by "default"
    processor.save_pretrained(str(out))
    return out
