"""Synthetic MathVista / MathVision fixtures in the exact schemas (reference/visual.md §1), with images
drawn at test time. No real benchmark data: the questions are made up, the shapes are the real ones."""

from __future__ import annotations

import io
import json
import struct
import zlib
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq


def image_bytes(label: str, fmt: str = "JPEG", size: tuple[int, int] = (48, 32)) -> bytes:
    """A small image with ``label`` drawn on it (distinct labels give distinct bytes)."""
    from PIL import Image, ImageDraw
    im = Image.new("RGB", size, "white")
    ImageDraw.Draw(im).text((2, 2), label, fill="black")
    buf = io.BytesIO()
    im.save(buf, format=fmt)
    return buf.getvalue()


def huge_png(width: int = 20_000, height: int = 20_000) -> bytes:
    """A well-formed 1-bit PNG of width x height (all black), built without allocating its pixels."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    z = zlib.compressobj(9)
    row = b"\x00" * (1 + (width + 7) // 8)
    idat = b"".join(z.compress(row) for _ in range(height)) + z.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


# ------------------------------------------------------------------------------------------ MathVista

def _mv(pid: str, question: str, answer: str, qtype: str, atype: str, *, choices: list[str] | None = None,
        precision: int | None = None, unit: str | None = None, language: str = "english") -> dict[str, Any]:
    return {"question": question, "image": f"images/{pid}.jpg", "choices": choices, "unit": unit,
            "precision": precision, "answer": answer, "question_type": qtype, "answer_type": atype, "pid": pid,
            "metadata": {"split": "testmini", "language": language, "img_width": 48, "img_height": 32,
                         "source": "SyntheticQA", "category": "math-targeted-vqa", "task": "figure question answering",
                         "context": "synthetic scene", "grade": "elementary school",
                         "skills": ["arithmetic reasoning"]}}


_OPTION_TEXTS = ["12", "15", "18", "21", "24", "27", "30", "33"]


def mathvista_records() -> dict[str, dict[str, Any]]:
    """pid -> record, GitHub ``testmini.json`` form: multiple choice with 2..8 options (answer stored as a
    choice text), integers, floats at precision 1 and 2, two list answers, units, Chinese and Persian."""
    recs: dict[str, dict[str, Any]] = {}
    for m in range(2, 9):                           # pids 1..7: 2..8 options, the last option is right
        pid = str(m - 1)
        choices = _OPTION_TEXTS[:m]
        recs[pid] = _mv(pid, f"How many dots are there? ({m} options)", choices[-1], "multi_choice", "text",
                        choices=choices)
    recs["8"] = _mv("8", "△ABC的两内角平分线OB、OC相交于点O，若∠A＝110°，则∠BOC＝（）", "145°", "multi_choice", "text",
                    choices=["135°", "140°", "145°", "150°"], language="chinese")
    recs["9"] = _mv("9", "Is the bar taller than the line?", "Yes", "multi_choice", "text", choices=["Yes", "No"])
    recs["10"] = _mv("10", "How many objects are left?", "7", "free_form", "integer")
    recs["11"] = _mv("11", "What is the slope of the line?", "1.2", "free_form", "float", precision=1)
    recs["12"] = _mv("12", "What is the ratio of the two bars?", "0.57", "free_form", "float", precision=2)
    recs["13"] = _mv("13", "List the values of the bars from left to right.", "[0, 2, 0, 2, 1, 7]", "free_form",
                     "list")
    recs["14"] = _mv("14", "Which years have the same value?", "[2014, 2016]", "free_form", "list")
    recs["15"] = _mv("15", "What is the age gap between these two people in image?", "29", "free_form", "integer",
                     unit="years")
    recs["16"] = _mv("16", "How heavy is the box?", "1000", "free_form", "integer", unit="g")
    recs["17"] = _mv("17", "چند مثلث در تصویر هست؟", "4", "free_form", "integer", language="persian")
    return recs


def _query(rec: dict[str, Any]) -> str:
    """MathVista's official prompt (evaluation/build_query.py, shape only)."""
    if rec["question_type"] == "multi_choice":
        hint = ("Hint: Please answer the question and provide the correct option letter, e.g., A, B, C, D, "
                "at the end.")
    elif rec["answer_type"] == "integer":
        hint = ("Hint: Please answer the question requiring an integer answer and provide the final value, "
                "e.g., 1, 2, 3, at the end.")
    elif rec["answer_type"] == "float":
        hint = ("Hint: Please answer the question requiring a floating-point number with "
                f"{rec['precision']} decimal place(s).")
    else:
        hint = "Hint: Please answer the question requiring a Python list as an answer."
    q = f"{hint}\nQuestion: {rec['question']}"
    if rec["unit"]:
        q += f" (Unit: {rec['unit']})"
    if rec["choices"]:
        q += "\nChoices:\n" + "\n".join(f"({'ABCDEFGH'[i]}) {c}" for i, c in enumerate(rec["choices"]))
    return q


def write_mathvista_github(root: Path, records: dict[str, dict[str, Any]] | None = None) -> Path:
    """``root/data/testmini.json`` (pid-keyed object) and ``root/data/images/<pid>.jpg``; returns the JSON."""
    records = records if records is not None else mathvista_records()
    data = root / "data"
    (data / "images").mkdir(parents=True, exist_ok=True)
    for pid, rec in records.items():
        (data / rec["image"]).write_bytes(image_bytes(f"mv{pid}"))
    path = data / "testmini.json"
    path.write_text(json.dumps(records, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def write_mathvista_parquet(path: Path, records: dict[str, dict[str, Any]] | None = None,
                            image_override: dict[str, bytes] | None = None) -> Path:
    """Hub form: the same fields plus ``query`` and ``decoded_image`` ({bytes, path}); precision float64
    with NaN; choices null for free-form."""
    records = records if records is not None else mathvista_records()
    rows = []
    for pid, rec in records.items():
        data = (image_override or {}).get(pid, image_bytes(f"mv{pid}"))
        rows.append({**rec, "precision": float("nan") if rec["precision"] is None else float(rec["precision"]),
                     "query": _query(rec), "decoded_image": {"bytes": data, "path": f"{pid}.jpg"}})
    schema = pa.schema([
        ("pid", pa.string()), ("question", pa.string()), ("image", pa.string()),
        ("decoded_image", pa.struct([("bytes", pa.binary()), ("path", pa.string())])),
        ("choices", pa.list_(pa.string())), ("unit", pa.string()), ("precision", pa.float64()),
        ("answer", pa.string()), ("question_type", pa.string()), ("answer_type", pa.string()),
        ("metadata", pa.struct([("category", pa.string()), ("context", pa.string()), ("grade", pa.string()),
                                ("img_height", pa.int64()), ("img_width", pa.int64()), ("language", pa.string()),
                                ("skills", pa.list_(pa.string())), ("source", pa.string()), ("split", pa.string()),
                                ("task", pa.string())])),
        ("query", pa.string())])
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), path, row_group_size=5)
    return path


# ----------------------------------------------------------------------------------------- MathVision

def mathvision_records() -> list[dict[str, Any]]:
    """``data/testmini.jsonl`` records: letters-only options (contents drawn in the image), text options,
    free-form integers, ``$…$`` LaTeX, the ``\\f`` escape defect, a tuple, a trailing space,
    ``<image1>``/``<image2>`` tags, level and subject."""
    def rec(i: str, question: str, answer: str, options: list[str], level: int, subject: str) -> dict[str, Any]:
        return {"id": i, "question": question, "options": options, "image": f"images/{i}.jpg", "answer": answer,
                "solution": None, "level": level, "subject": subject}
    return [
        rec("2", "Which bike is most expensive?\n<image1>", "A", list("ABCDE"), 2, "arithmetic"),
        rec("5", "<image1>\nWhich of the shapes has the largest area?", "D", ["1", "2", "3", "4", "5"], 3,
            "metric geometry - area"),
        rec("9", "Which net folds into the cube?\n<image1>\n<image2>", "B", ["net one", "net two", "net three",
                                                                            "net four", "net five"], 4,
            "solid geometry"),
        rec("11", "How many triangles are in <image1>?", "11 ", [], 1, "counting"),
        rec("14", "What fraction of the square is shaded?\n<image1>", "$\\frac{1}{3}$", [], 3,
            "metric geometry - area"),
        rec("20", "What is the ratio of the areas?\n<image1>", "\x0crac{36}{13}", [], 5, "metric geometry - area"),
        rec("23", "Where does the ant end up?\n<image1>", "(3,-4)", [], 2, "analytic geometry"),
        rec("31", "What is the length of the side?\n<image1>", "2.5", [], 3, "metric geometry - length"),
    ]


def write_mathvision_github(root: Path, records: list[dict[str, Any]] | None = None) -> Path:
    """``root/data/testmini.jsonl`` and ``root/images/<id>.jpg`` (the MATH-V repository's layout)."""
    records = records if records is not None else mathvision_records()
    (root / "data").mkdir(parents=True, exist_ok=True)
    (root / "images").mkdir(parents=True, exist_ok=True)
    for r in records:
        (root / r["image"]).write_bytes(image_bytes(f"mvis{r['id']}"))
    path = root / "data" / "testmini.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def write_mathvision_parquet(path: Path, records: list[dict[str, Any]] | None = None) -> Path:
    records = records if records is not None else mathvision_records()
    rows = [{**r, "decoded_image": {"bytes": image_bytes(f"mvis{r['id']}"), "path": r["image"]}} for r in records]
    pq.write_table(pa.Table.from_pylist(rows), path)
    return path
