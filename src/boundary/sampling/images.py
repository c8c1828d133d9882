"""Problems with images in the sample stage: copied into the run, placed in the prompt, sent with the request.

A problem's images are listed in ``metadata["images"]`` (entries with ``sha256``, ``format`` and
where to read the bytes: :func:`boundary.tasks.visual.image_bytes`). The driver copies each into the
run once (``images/<sha256>.<ext>``, :meth:`boundary.store.Run.put_image`), so a run stays
self-contained and resumable, and every chunk request carries their paths
(:attr:`boundary.sampling.types.ChunkRequest.images`).

The prompt refers to the images in the model's own way:

- a text prompt (a named template, or the model's chat template rendered here) gets the model's
  ``image_placeholder`` (``<image>`` for LLaVA) once per image, where the template has ``{image}``,
  else just before the question;
- a prompt sent to a server that applies the chat template itself (``openai`` with ``api: chat``,
  whatever the template) holds no placeholder: the backend adds the images as content parts, and
  the server's chat template places them. ``api: completions`` cannot carry images (refused).

What must never reach an engine (vLLM accepts it silently): a prompt holding the placeholder
without its image, or a question whose own text holds the placeholder string. Both are errors that
name the problem, raised while planning, before any sampling.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
from collections.abc import Sequence
from typing import Any

from boundary.errors import BoundaryError, InputError
from boundary.prompts.templates import IMAGE_SLOT
from boundary.store import Run
from boundary.tasks import Problem


def image_entries(problem: Problem) -> list[dict[str, Any]]:
    """The problem's image entries (``metadata["images"]``), empty for a text-only problem."""
    entries = problem.metadata.get("images") or []
    if not isinstance(entries, list) or not all(isinstance(e, dict) and e.get("sha256") for e in entries):
        raise InputError(f"problem {problem.id!r}: metadata 'images' must be a list of entries with a sha256 "
                         f"(as the visual loaders write them), got {str(entries)[:120]!r}.")
    return entries


def store_images(run: Run, problems: Sequence[Problem]) -> dict[str, tuple[str, ...]]:
    """Copy the images of ``problems`` into the run (once each); problem id → the images' absolute paths."""
    from boundary.tasks.visual import image_bytes
    out: dict[str, tuple[str, ...]] = {}
    for p in problems:
        paths = []
        for e in image_entries(p):
            ext = str(e.get("format") or "png").lower().replace("jpeg", "jpg")
            try:
                path = run.put_image(str(e["sha256"]), ext, functools.partial(image_bytes, e))
            except InputError as err:
                raise InputError(f"problem {p.id!r}: {err}") from None
            paths.append(str(path.resolve()))
        if paths:
            out[p.id] = tuple(paths)
    return out


def template_text(template: Any) -> str:
    """The text of a template that decides where ``{image}`` is ('' for a server-side chat template)."""
    if template is None:
        return ""
    return str(getattr(template, "text", None) or getattr(template, "user", None) or "")


def fingerprint_with_placeholder(tinfo: dict, placeholder: str | None) -> dict:
    """A template's record with the model's image placeholder folded into its fingerprint (a run
    cannot mix prompts that refer to images differently under one model name)."""
    if not placeholder:
        return tinfo
    fp = hashlib.sha256(f"{tinfo.get('fingerprint')}|image:{placeholder}".encode()).hexdigest()[:16]
    return {**tinfo, "fingerprint": fp, "image_placeholder": placeholder}


def images_as_parts(engine: Any) -> bool:
    """Whether the model's backend sends images as chat content parts, the server's chat template
    placing them (``backend: openai`` with ``api: chat``): its prompt then holds no placeholder."""
    return getattr(engine, "backend", None) == "openai" and getattr(engine, "api", None) == "chat"


def check_engine_takes_images(engine: Any, model: str, benchmark: str, n_problems_with_images: int) -> None:
    """Refuse, while planning, an engine that has no way to send images (``openai`` with ``api: completions``)."""
    if n_problems_with_images and getattr(engine, "backend", None) == "openai" and not images_as_parts(engine):
        raise BoundaryError(f"model {model!r}: {n_problems_with_images} problem(s) of {benchmark!r} have images, which "
                            "the completions API cannot carry; use `api: chat` (the images go as image_url content "
                            "parts and the server's chat template places them).")


def prompt_with_images(render, template: Any, problem: Problem, n_images: int, *, model: str,
                       placeholder: str | None, as_parts: bool = False) -> Any:
    """The model input for ``problem`` (``render(template, problem)``: text or chat messages) with its
    ``n_images`` images referred to as the model expects (see the module docstring). ``as_parts``:
    the backend sends the images as chat content parts (:func:`images_as_parts`), so no placeholder."""
    if placeholder and placeholder in problem.question:
        raise InputError(f"problem {problem.id!r}: its question contains model {model!r}'s image placeholder "
                         f"{placeholder!r}; the engine would take it for an image. Edit the question, or choose "
                         "another placeholder.")
    if n_images == 0 or as_parts or template is None:
        prompt = render(template, problem)
        if isinstance(prompt, str):
            prompt = prompt.replace(IMAGE_SLOT, "")
            if placeholder and placeholder in prompt and n_images == 0:
                raise InputError(f"problem {problem.id!r} has no image, but model {model!r}'s prompt holds its "
                                 f"image placeholder {placeholder!r} (from the template); an engine would sample "
                                 "it without an image. Remove the placeholder from the template.")
            if placeholder and placeholder in prompt and n_images:
                raise InputError(f"model {model!r} sends images as chat content parts (backend openai, api: chat), "
                                 f"and the server's chat template places them; the prompt of problem {problem.id!r} "
                                 f"must not hold the placeholder {placeholder!r} as well (the engine would see one "
                                 "image twice, or a placeholder without an image). Remove it from the template.")
        return prompt
    if not placeholder:
        raise BoundaryError(
            f"model {model!r}: problem {problem.id!r} has {n_images} image(s), and its prompt is text, so the model's "
            "image placeholder must be in it: set `image_placeholder` on the model (the string its processor "
            "expands into an image: '<image>' for LLaVA and Idefics3, '<|vision_start|><|image_pad|><|vision_end|>' "
            "for Qwen2/2.5-VL), or sample through a server's chat template (backend openai, api: chat).")
    if IMAGE_SLOT not in template_text(template):
        problem = dataclasses.replace(problem, question=f"{IMAGE_SLOT}\n{problem.question}")
    prompt = render(template, problem)
    if not isinstance(prompt, str) or prompt.count(IMAGE_SLOT) != 1:
        raise BoundaryError(f"model {model!r}: the prompt of problem {problem.id!r} must hold {IMAGE_SLOT} exactly "
                            "once after rendering; check the template.")
    return prompt.replace(IMAGE_SLOT, "\n".join([placeholder] * n_images))


__all__ = ["store_images", "prompt_with_images", "images_as_parts", "check_engine_takes_images", "image_entries",
           "template_text", "fingerprint_with_placeholder"]
