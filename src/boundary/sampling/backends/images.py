"""A request's images as the engines take them: decoded PIL images (vLLM, transformers) or data URIs (HTTP).

``ChunkRequest.images`` holds file paths (the run's ``images/<sha256>.<ext>``). The chunks of one
problem arrive together and share their images, so each backend keeps a small LRU cache keyed by
path: an image is read and decoded (or base64-encoded) once per problem, not once per chunk.
Pillow comes with matplotlib, a dependency of boundary.
"""

from __future__ import annotations

import base64
import io
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

from boundary.errors import BoundaryError
from boundary.sampling.types import ChunkRequest

#: MIME subtypes an ``image_url`` data URI keeps as they are; any other format is re-encoded as PNG.
DATA_URI_FORMATS = {"PNG": "png", "JPEG": "jpeg", "WEBP": "webp", "GIF": "gif"}


class _LRU:
    def __init__(self, size: int, make: Callable[[str], Any]):
        self.size, self.make = size, make
        self.items: OrderedDict[str, Any] = OrderedDict()

    def get(self, key: str) -> Any:
        if key in self.items:
            self.items.move_to_end(key)
            return self.items[key]
        value = self.make(key)
        self.items[key] = value
        if len(self.items) > self.size:
            self.items.popitem(last=False)
        return value


def _open(path: str):
    from PIL import Image, UnidentifiedImageError
    try:
        img = Image.open(path)
        img.load()
    except FileNotFoundError:
        raise BoundaryError(f"image {path!r} does not exist") from None
    except (UnidentifiedImageError, OSError, ValueError) as e:
        raise BoundaryError(f"image {path!r} cannot be read: {type(e).__name__}: {e}") from None
    return img


def _pil_rgb(path: str):
    img = _open(path)
    return img if img.mode == "RGB" else img.convert("RGB")


def _data_uri(path: str) -> str:
    img = _open(path)
    fmt = DATA_URI_FORMATS.get(str(img.format or "").upper())
    if fmt is not None:
        with open(path, "rb") as f:
            data = f.read()                      # the file's own bytes: no re-encoding
    else:
        buf = io.BytesIO()
        (img if img.mode in ("RGB", "RGBA", "L") else img.convert("RGB")).save(buf, format="PNG")
        data, fmt = buf.getvalue(), "png"
    return f"data:image/{fmt};base64,{base64.b64encode(data).decode('ascii')}"


class ImageCache:
    """Per-backend caches of decoded images and data URIs, ``size`` paths each (least recently used out)."""

    def __init__(self, size: int = 16):
        self._pil = _LRU(size, _pil_rgb)
        self._uri = _LRU(size, _data_uri)

    def pil(self, req: ChunkRequest) -> list[Any]:
        """The request's images as RGB ``PIL.Image`` objects, in order."""
        return [self._get(self._pil, p, req) for p in req.images]

    def data_uris(self, req: ChunkRequest) -> list[str]:
        """The request's images as ``data:image/<fmt>;base64,...`` URIs, in order."""
        return [self._get(self._uri, p, req) for p in req.images]

    @staticmethod
    def _get(cache: _LRU, path: str, req: ChunkRequest) -> Any:
        try:
            return cache.get(path)
        except BoundaryError as e:
            raise BoundaryError(f"problem {req.problem_id!r} of {req.benchmark!r}: {e}") from None


def not_multimodal(model: str, reqs: Sequence[ChunkRequest], what: str) -> BoundaryError:
    """The error for images sent to a text-only model."""
    req = next(r for r in reqs if r.images)
    return BoundaryError(
        f"model {model!r}: problem {req.problem_id!r} of {req.benchmark!r} has {len(req.images)} image(s), "
        f"but the model is not multimodal ({what}). Use a vision-language checkpoint for visual "
        "benchmarks (docs/visual.md).")
