"""The model organism: tiny Qwen2 models trained from scratch on Countdown (``docs/organism.md``).

A plugin (:mod:`boundary.organism.plugin`, loaded through boundary's ``boundary.plugins`` entry
point): it registers the ``countdown`` / ``countdown-hard`` benchmarks, the ``countdown`` task kind,
the ``tiny`` backend and the ``boundary demo`` / ``boundary organism train`` commands. The rest of
boundary never imports this package.

- :mod:`~boundary.organism.task`: the Countdown task, its exact checker and blind-guess chance;
- :mod:`~boundary.organism.model`, :mod:`~boundary.organism.tokenizer`: the Qwen2 shape, the character tokenizer;
- :mod:`~boundary.organism.sampler`, :mod:`~boundary.organism.backend`: the batched KV-cache sampler, ``backend: tiny``;
- :mod:`~boundary.organism.pretrain`, :mod:`~boundary.organism.rl`, :mod:`~boundary.organism.train`: training;
- :mod:`~boundary.organism.demo`: ``boundary demo`` on the shipped checkpoints;
- :func:`make_tiny_checkpoint`: a randomly initialised checkpoint that real engines load (engine tests);
  :func:`make_tiny_llava_checkpoint`: the same for a tiny LLaVA (CLIP ViT + Qwen2) with its processor.
"""

from boundary.organism.tiny import LLAVA_IMAGE_TOKEN, make_tiny_checkpoint, make_tiny_llava_checkpoint
from boundary.organism.tokenizer import CHARS, make_char_tokenizer

__all__ = ["make_tiny_checkpoint", "make_tiny_llava_checkpoint", "LLAVA_IMAGE_TOKEN", "make_char_tokenizer", "CHARS"]
