r"""Visual reasoning benchmarks: MathVista (testmini) and MathVision (MATH-V), with their images.

Sources (``docs/visual.md``; the formats are described in ``../shared/reference/visual.md`` §1):

- **MathVista**, GitHub form: ``data/testmini.json``, one JSON *object keyed by pid* (also a JSON
  list or JSONL of the same records), images at the record's ``image`` path (``images/<pid>.jpg``)
  relative to ``image_root`` (default: the file's folder, then its parent). Hub form
  (``AI4Math/MathVista``): parquet rows with ``query`` and ``decoded_image`` (a struct
  ``{bytes, path}``), ``precision`` as float64 with NaN for none — read as a local ``.parquet``
  file or from the hub (``source=None``, ``pip install 'boundary[hub]'``).
- **MathVision**, GitHub form (``mathllm/MATH-V``): ``data/test.jsonl`` / ``data/testmini.jsonl``,
  images at ``images/<id>.jpg`` relative to ``image_root`` (default: the file's folder, then its
  parent, which is the repository root). Hub form (``MathLLMs/MathVision``): the same fields plus
  ``decoded_image``.

Options (a spec's ``benchmarks[].options``):

- ``question_type``: ``free_form`` (default: the paper removes multiple-choice questions),
  ``multi_choice`` or ``all``;
- ``prompt_field`` (MathVista only): ``question`` (default; the prompt adds the choices) or ``query``
  (MathVista's official prompt: hint, question, unit, choices — already complete);
- ``split``: the hub split (default ``testmini``); for a local file, keep only records whose own
  split field (MathVista ``metadata.split``) has this value;
- ``revision``: a hub dataset revision; ``image_root``: where relative image paths start.

Every problem has ``metadata["kind"] == "visual"`` and: ``question_type``; ``answer_type``
(MathVista's ``integer``/``float``/``list``/``text``; for MathVision free-form answers inferred:
``integer``, ``float`` or ``expression``; ``multi_choice`` for multiple choice); ``choices`` (the
option texts, for multiple choice only; the **reference is the option letter** A–H, the original
answer kept in ``reference_raw``); ``precision``, ``unit``, ``level``, ``subject``, ``language``
when the source has them; ``choices_header`` (how the prompt introduces the choices);
``image_tags`` (the ``<imageN>`` tags of a MathVision question); ``official_rule``
(``mathvista`` or ``mathvision``: whose official scoring rule applies to the problem).

**Images** (``metadata["images"]``, a list, one entry per image file, in order). Each image is read,
hashed and decoded at load time; a missing, empty, unreadable, truncated or huge (more than
:data:`MAX_PIXELS` pixels) image is an :class:`~boundary.errors.InputError` naming the benchmark,
the problem and the file. An entry is JSON (it is stored with the problem in the run)::

    {"sha256": "<64 hex>", "bytes": 12345, "width": 131, "height": 60, "format": "JPEG",
     "source": "/abs/path/images/3.jpg"}                                    # an image file
    {"sha256": ..., "source": "/abs/path/testmini.parquet", "row": 17,      # a cell of a parquet file
     "column": "decoded_image"}                                             # (row: 0-based, in the file)
    {"sha256": ..., "source": "hub:AI4Math/MathVista", "split": "testmini",  # a cell of a hub dataset
     "revision": null, "row": 17, "column": "decoded_image"}

The bytes are never copied into the metadata (a run stores the problems table; MathVista's images
are ~100 MB). :func:`image_bytes` returns an entry's bytes from wherever it points and checks
them against ``sha256``; whoever copies images into a run (by content hash) uses it.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import re
import warnings
from collections.abc import Iterable, Iterator, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from boundary.errors import BoundaryError, InputError
from boundary.tasks._io import read_records
from boundary.tasks.problem import Problem

__all__ = ["VISUAL_KIND", "MAX_PIXELS", "LETTERS", "QUESTION_TYPES", "VISUAL_BENCHMARKS", "load_mathvista",
           "load_mathvision", "check_image", "image_bytes", "render_question", "repair_reference"]

VISUAL_KIND = "visual"
#: An image with more pixels than this is refused at load (a decompression bomb, or a scan no VLM
#: preprocessor would take whole); MathVista's and MathVision's largest are far below it.
MAX_PIXELS = 50_000_000
#: Option letters: MathVista has up to 8 choices.
LETTERS = "ABCDEFGH"
QUESTION_TYPES = ("free_form", "multi_choice", "all")
_HUB = {"mathvista": ("AI4Math/MathVista", "testmini"), "mathvision": ("MathLLMs/MathVision", "testmini")}
VISUAL_BENCHMARKS = {
    "mathvista": "MathVista testmini (Lu et al. 2024): 1,000 visual math problems from 31 sources; "
                 "the paper uses its 460 free-form ones",
    "mathvision": "MATH-Vision (Wang et al. 2024): competition math with diagrams (test 3,040, testmini 304); "
                  "the paper uses testmini's 114 free-form ones",
}
_IMAGE_TAG = re.compile(r"<image\d+>")


# --------------------------------------------------------------------------------------------
# images

def check_image(data: bytes, *, what: str) -> dict[str, Any]:
    """Hash and decode one image; its ``sha256``, ``bytes``, ``width``, ``height``, ``format``.

    Raises :class:`InputError` (``what`` names the problem and the file) when the image is empty,
    not an image, truncated or corrupt, or larger than :data:`MAX_PIXELS`.
    """
    if not data:
        raise InputError(f"{what}: the image is empty (0 bytes).")
    from PIL import Image, ImageFile, UnidentifiedImageError  # pillow: a dependency of matplotlib
    huge = (f"{what}: the image is too large (more than {MAX_PIXELS:,} pixels); it would exhaust memory in the "
            "engine's preprocessor. Resize it or drop the problem.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as im:
                width, height = im.size
                fmt = im.format
                if width * height > MAX_PIXELS:
                    raise InputError(f"{huge[:-1]} ({width} x {height}).")
                im.verify()                       # structure and checksums (PNG CRCs)
            saved = ImageFile.LOAD_TRUNCATED_IMAGES
            ImageFile.LOAD_TRUNCATED_IMAGES = False
            try:
                with Image.open(io.BytesIO(data)) as im:
                    im.load()                     # a full decode: truncated data fails here (JPEG)
            finally:
                ImageFile.LOAD_TRUNCATED_IMAGES = saved
    except InputError:
        raise
    except Image.DecompressionBombError:
        raise InputError(huge) from None
    except UnidentifiedImageError:
        raise InputError(f"{what}: not an image PIL can read ({len(data)} bytes).") from None
    except (OSError, SyntaxError, ValueError, EOFError) as e:
        raise InputError(f"{what}: the image is truncated or corrupt ({type(e).__name__}: {e}).") from None
    return {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data), "width": width, "height": height,
            "format": fmt}


def image_bytes(entry: Mapping[str, Any]) -> bytes:
    """The bytes of one ``metadata["images"]`` entry (a file, a parquet cell or a hub cell), checked
    against its ``sha256``."""
    source = str(entry.get("source") or "")
    if "row" in entry:
        row, column = int(entry["row"]), str(entry.get("column") or "decoded_image")
        if source.startswith("hub:"):
            cell = _hub_cell(source[4:], str(entry.get("split")), entry.get("revision"), row, column)
        else:
            cell = _parquet_cell(source, row, column)
        data = _cell_bytes(cell)
    else:
        try:
            data = Path(source).read_bytes()
        except OSError as e:
            raise InputError(f"cannot read image: {e.strerror or e}.", path=source) from None
    if data is None or hashlib.sha256(data).hexdigest() != entry.get("sha256"):
        raise InputError(f"the image's content changed since the benchmark was loaded (sha256 "
                         f"{str(entry.get('sha256'))[:12]}… expected); reload the benchmark.", path=source)
    return data


def _cell_bytes(cell: Any) -> bytes | None:
    if isinstance(cell, Mapping):
        cell = cell.get("bytes")
    return bytes(cell) if isinstance(cell, (bytes, bytearray, memoryview)) else None


def _parquet_cell(path: str, row: int, column: str) -> Any:
    import pyarrow.parquet as pq
    try:
        f = pq.ParquetFile(path)
    except Exception as e:  # pyarrow raises several types for a missing or bad file
        raise InputError(f"cannot read parquet file: {e}", path=path) from None
    start = 0
    for g in range(f.metadata.num_row_groups):
        n = f.metadata.row_group(g).num_rows
        if row < start + n:
            return f.read_row_group(g, columns=[column]).column(column)[row - start].as_py()
        start += n
    raise InputError(f"row {row} is beyond the file's {start} rows.", path=path)


@lru_cache(maxsize=4)
def _hub_dataset(path: str, split: str, revision: str | None) -> Any:
    datasets = _datasets(path)
    kwargs: dict[str, Any] = {"split": split}
    if revision is not None:
        kwargs["revision"] = revision
    ds = datasets.load_dataset(path, **kwargs)
    if "decoded_image" in ds.column_names:
        ds = ds.cast_column("decoded_image", datasets.Image(decode=False))
    return ds


def _hub_cell(path: str, split: str, revision: Any, row: int, column: str) -> Any:
    return _hub_dataset(path, split, revision)[row][column]


def _datasets(path: str) -> Any:
    try:
        import datasets  # noqa: PLC0415 - optional dependency
    except ImportError as e:
        raise BoundaryError(f"loading {path!r} from the Hugging Face hub needs the 'datasets' package: "
                            "pip install 'boundary[hub]'. Or read a local file (docs/visual.md).") from e
    return datasets


# --------------------------------------------------------------------------------------------
# records

def _records(source: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """MathVista's pid-keyed JSON object, or any format :func:`read_records` reads."""
    if source.suffix.lower() == ".json" and source.exists() and not source.is_dir():
        text = source.read_text(encoding="utf-8")
        if text.lstrip().startswith("{"):
            try:
                data = json.loads(text)
            except json.JSONDecodeError as e:
                raise InputError(f"invalid JSON: {e.msg} (line {e.lineno}).", path=str(source)) from None
            if isinstance(data, dict) and data and all(isinstance(v, dict) for v in data.values()):
                for i, (key, rec) in enumerate(data.items(), start=1):
                    yield i, {"pid": key, **rec}
                return
    yield from read_records(source)


def _present(v: Any) -> bool:
    """Not None, not NaN (parquet's float64 precision), not an empty string."""
    if v is None:
        return False
    if isinstance(v, float) and math.isnan(v):
        return False
    return not (isinstance(v, str) and not v.strip())


def _text(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def _as_list(v: Any) -> list[Any] | None:
    if not _present(v):
        return None
    if isinstance(v, str):          # a list written as a string (CSV, some parquet exports)
        try:
            v = json.loads(v)
        except json.JSONDecodeError:
            return None
    if hasattr(v, "tolist"):
        v = v.tolist()
    return list(v) if isinstance(v, (list, tuple)) and v else None


def repair_reference(raw: str) -> tuple[str, str | None]:
    r"""A MathVision reference as the verifier wants it, and a note when it was changed.

    ``$…$`` delimiters and surrounding whitespace are removed, and the dataset's escape defect is
    repaired: a ``\f`` (form feed, 0x0C) where ``\frac`` lost its backslash to a JSON escape
    (``"\x0crac{36}{13}"`` → ``\frac{36}{13}``); the same for ``\t``/``\b``/``\r`` before the rest of
    ``\times``/``\beta``/``\right``... (tab, backspace, carriage return are never part of an answer).

    >>> repair_reference("$\\frac{1}{3}$")
    ('\\frac{1}{3}', 'math delimiters removed')
    >>> repair_reference("\x0crac{36}{13}")
    ('\\frac{36}{13}', 'escape defect repaired (a control character for a backslash)')
    >>> repair_reference("11 ")
    ('11', None)
    """
    notes = []
    s = raw
    controls = {"\x0c": "\\f", "\t": "\\t", "\x08": "\\b", "\r": "\\r"}
    if any(c in s for c in controls):
        s = "".join(controls.get(c, c) for c in s)
        notes.append("escape defect repaired (a control character for a backslash)")
    stripped = re.sub(r"(?<!\\)\$", "", s).strip()
    if stripped != s.strip():
        notes.append("math delimiters removed")
    return stripped, ("; ".join(notes) or None)


def _infer_answer_type(ref: str) -> str:
    if re.fullmatch(r"[+-]?\d+", ref):
        return "integer"
    if re.fullmatch(r"[+-]?(\d+\.\d*|\.\d+)", ref):
        return "float"
    return "expression"


# --------------------------------------------------------------------------------------------
# row parsers: (pid, question, reference, metadata, image field, embedded image)

class _RowError(Exception):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def _need(row: Mapping[str, Any], key: str) -> Any:
    v = row.get(key)
    if not _present(v):
        raise _RowError(f"no {key!r}; the record has {sorted(row)}.", field=key)
    return v


def _mc_reference(answer: str, choices: list[str]) -> str:
    if len(choices) > len(LETTERS):
        raise _RowError(f"{len(choices)} choices; at most {len(LETTERS)} (A-{LETTERS[-1]}) are supported.",
                        field="choices")
    texts = [_text(c) for c in choices]
    if answer in texts:
        return LETTERS[texts.index(answer)]
    if len(answer) == 1 and answer.upper() in LETTERS[:len(choices)]:
        return answer.upper()
    raise _RowError(f"the answer {answer!r} is none of the choices {texts}.", field="answer")


def _parse_mathvista(row: Mapping[str, Any], prompt_field: str) -> tuple[str, str, str, dict[str, Any]]:
    pid = _text(_need(row, "pid"))
    qtype = _text(_need(row, "question_type"))
    if qtype not in ("free_form", "multi_choice"):
        raise _RowError(f"question_type {qtype!r}; expected free_form or multi_choice.", field="question_type")
    if prompt_field == "query" and not _present(row.get("query")):
        raise _RowError("prompt_field 'query' but the record has no 'query' (the GitHub testmini.json keeps it "
                        "in data/query.json; use the hub parquet, or prompt_field: question).", field="query")
    question = str(_need(row, prompt_field)).strip()
    answer = _text(_need(row, "answer"))
    answer_type = _text(row.get("answer_type") or ("text" if qtype == "multi_choice" else ""))
    meta: dict[str, Any] = {"question_type": qtype, "answer_type": answer_type or None}
    if qtype == "multi_choice":
        choices = _as_list(row.get("choices"))
        if choices is None:
            raise _RowError("a multi_choice question without choices.", field="choices")
        reference = _mc_reference(answer, choices)
        meta.update(choices=[_text(c) for c in choices], reference_raw=answer, answer_type="multi_choice",
                    answer_type_raw=answer_type or None)
    else:
        reference = answer
    if _present(row.get("precision")):
        meta["precision"] = int(float(row["precision"]))
    if _present(row.get("unit")):
        meta["unit"] = _text(row["unit"])
    inner = row.get("metadata")
    if isinstance(inner, str):
        try:
            inner = json.loads(inner)
        except json.JSONDecodeError:
            inner = None
    if isinstance(inner, Mapping):
        for k, to in (("language", "language"), ("source", "dataset"), ("category", "category"),
                      ("task", "task"), ("context", "context"), ("grade", "grade"), ("skills", "skills"),
                      ("split", "split")):
            v: Any = inner.get(k)
            if hasattr(v, "tolist"):
                v = v.tolist()
            if isinstance(v, (list, tuple)) or _present(v):
                meta[to] = list(v) if isinstance(v, (list, tuple)) else v
    meta["prompt_field"] = prompt_field
    meta["choices_header"] = "Choices:"
    if prompt_field == "query":
        meta["choices_in_question"] = True
    meta["official_rule"] = "mathvista"
    return pid, question, reference, meta


def _parse_mathvision(row: Mapping[str, Any], prompt_field: str) -> tuple[str, str, str, dict[str, Any]]:
    pid = _text(_need(row, "id"))
    question = str(_need(row, "question")).strip()
    raw = str(_need(row, "answer"))
    options = _as_list(row.get("options"))
    meta: dict[str, Any] = {}
    if options:
        meta.update(question_type="multi_choice", answer_type="multi_choice", choices=[_text(o) for o in options])
        reference = _mc_reference(raw.strip(), options)
        if reference != raw:
            meta["reference_raw"] = raw
        meta["choices_in_image"] = [c.upper() for c in meta["choices"]] == list(LETTERS[:len(options)])
    else:
        reference, note = repair_reference(raw)
        if not reference:
            raise _RowError(f"the answer {raw!r} is empty.", field="answer")
        if reference != raw:
            meta["reference_raw"] = raw
        if note:
            meta["reference_note"] = note
        meta.update(question_type="free_form", answer_type=_infer_answer_type(reference))
    for k in ("level", "subject"):
        if _present(row.get(k)):
            meta[k] = int(row[k]) if k == "level" and re.fullmatch(r"\d+", _text(row[k])) else row[k]
    tags = _IMAGE_TAG.findall(question)
    if tags:
        meta["image_tags"] = tags
    meta["prompt_field"] = prompt_field
    meta["choices_header"] = ""
    meta["official_rule"] = "mathvision"
    return pid, question, reference, meta


_PARSERS = {"mathvista": _parse_mathvista, "mathvision": _parse_mathvision}


# --------------------------------------------------------------------------------------------
# loading

def load_mathvista(name: str = "mathvista", source: str | Path | None = None, *, question_type: str = "free_form",
                   prompt_field: str = "question", split: str | None = None, revision: str | None = None,
                   image_root: str | Path | None = None) -> list[Problem]:
    """MathVista's problems with their images (see the module docstring for sources and options)."""
    return _load("mathvista", name, source, question_type=question_type, prompt_field=prompt_field, split=split,
                 revision=revision, image_root=image_root)


def load_mathvision(name: str = "mathvision", source: str | Path | None = None, *,
                    question_type: str = "free_form", split: str | None = None, revision: str | None = None,
                    image_root: str | Path | None = None) -> list[Problem]:
    """MathVision's problems with their images (see the module docstring for sources and options)."""
    return _load("mathvision", name, source, question_type=question_type, prompt_field="question", split=split,
                 revision=revision, image_root=image_root)


def _load(family: str, name: str, source: str | Path | None, *, question_type: str, prompt_field: str,
          split: str | None, revision: str | None, image_root: str | Path | None) -> list[Problem]:
    if question_type not in QUESTION_TYPES:
        raise InputError(f"{name}: question_type {question_type!r}; choose one of {', '.join(QUESTION_TYPES)}.",
                         field="question_type")
    if prompt_field not in ("question", "query"):
        raise InputError(f"{name}: prompt_field {prompt_field!r}; choose 'question' or 'query' (MathVista's "
                         "official prompt).", field="prompt_field")
    if source is None:
        if image_root is not None:
            raise InputError(f"{name}: image_root applies to a local source file, not to the hub.")
        hub_path, default_split = _HUB[family]
        split = split or default_split
        ds = _hub_dataset(hub_path, split, revision)
        numbered: Iterable[tuple[int, dict[str, Any]]] = ((i + 1, dict(r)) for i, r in enumerate(ds))
        where, is_file, jsonl = f"hub:{hub_path}", False, False
        cell_source: dict[str, Any] = {"source": f"hub:{hub_path}", "split": split, "revision": revision}
        roots: list[Path] = []
    else:
        if revision is not None:
            raise InputError(f"{name}: revision applies to the hub only, not to a local source file.")
        path = Path(source).expanduser().resolve()
        numbered = _records(path)
        where, is_file = str(source), True
        jsonl = path.suffix.lower() in (".jsonl", ".ndjson")
        cell_source = {"source": str(path)}
        roots = [Path(image_root).expanduser().resolve()] if image_root is not None else [path.parent,
                                                                                            path.parent.parent]
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    parse = _PARSERS[family]
    local_split_seen = False
    for lineno, row in numbered:
        loc: dict[str, Any] = {"line": lineno} if is_file and jsonl else {"row": lineno}
        try:
            pid, question, reference, meta = parse(row, prompt_field)
        except _RowError as e:
            raise InputError(f"{name}: {e}", path=where, field=e.field, **loc) from None
        if split is not None and is_file:
            rec_split = meta.get("split")
            if rec_split is not None:
                local_split_seen = True
            if rec_split != split:
                continue
        if question_type != "all" and meta["question_type"] != question_type:
            continue
        if pid in seen:
            raise InputError(f"{name}: duplicate problem id {pid!r} (also at record {seen[pid]}); ids must be unique.",
                             path=where, **loc)
        seen[pid] = lineno
        what = f"{name} problem {pid!r}"
        meta["images"] = [_image_entry(row, what, roots=roots, cell={**cell_source, "row": lineno - 1}
                                       if not is_file or where.endswith(".parquet") else None)]
        meta.update(kind=VISUAL_KIND, index=len(problems), source=f"hub:{_HUB[family][0]}" if not is_file
                    else f"file:{Path(where).name}")
        problems.append(Problem(benchmark=name, id=pid, question=question, reference=reference, metadata=meta))
    if split is not None and is_file and not local_split_seen:
        raise InputError(f"{name}: split {split!r} given, but the file's records name no split; for a local file "
                         "pass the file of that split and no split option.", path=where)
    if not problems:
        raise InputError(f"{name}: no problems found (question_type={question_type!r}"
                         + (f", split={split!r}" if split else "") + ").", path=where)
    return problems


def _image_entry(row: Mapping[str, Any], what: str, *, roots: list[Path], cell: dict[str, Any] | None
                 ) -> dict[str, Any]:
    """Read, check and describe the problem's image: embedded bytes (parquet/hub) first, else the file."""
    embedded = _cell_bytes(row.get("decoded_image"))
    if embedded is not None and cell is not None:
        info = check_image(embedded, what=f"{what}: image in column 'decoded_image' (row {cell['row']})")
        return {**info, **cell, "column": "decoded_image"}
    rel = row.get("image")
    if not _present(rel):
        raise InputError(f"{what}: no image (neither 'decoded_image' bytes nor an 'image' path).", field="image")
    rel_path = Path(str(rel))
    candidates = [rel_path] if rel_path.is_absolute() else [r / rel_path for r in roots]
    for c in candidates:
        if c.is_file():
            try:
                data = c.read_bytes()
            except OSError as e:
                raise InputError(f"{what}: cannot read image: {e.strerror or e}.", path=str(c)) from None
            info = check_image(data, what=f"{what}: image {c}")
            return {**info, "source": str(c)}
    tried = ", ".join(str(c) for c in candidates)
    raise InputError(f"{what}: image {str(rel)!r} not found (tried {tried}). Download the benchmark's images "
                     "(docs/visual.md) or pass image_root.", field="image")


def render_question(problem: Problem) -> str:
    """The question text a prompt template receives: the prompt field, then — for multiple choice,
    unless the field already holds them (MathVista's ``query``) or the options are only letters
    whose contents are drawn in the image (MathVision) — one line per option, ``(A) …``."""
    md = problem.metadata
    choices = md.get("choices")
    if not choices or md.get("choices_in_question") or md.get("choices_in_image"):
        return problem.question
    header = md.get("choices_header", "Choices:")
    lines = [f"({LETTERS[i]}) {c}" for i, c in enumerate(choices)]
    return problem.question + "\n" + (f"{header}\n" if header else "") + "\n".join(lines)
