"""MathVista / MathVision loaders: both distributions of each, options, metadata, images and bad images."""

from __future__ import annotations

import hashlib
import json

import pytest

from boundary.errors import InputError
from boundary.prompts import get_template
from boundary.tasks import get_kind, load_benchmark
from boundary.tasks.visual import MAX_PIXELS, check_image, image_bytes, render_question
from tests.helpers.visual import (huge_png, image_bytes as draw, mathvision_records, mathvista_records,
                                  write_mathvision_github, write_mathvision_parquet, write_mathvista_github,
                                  write_mathvista_parquet)


@pytest.fixture(scope="module")
def vista_json(tmp_path_factory):
    return write_mathvista_github(tmp_path_factory.mktemp("mathvista"))


@pytest.fixture(scope="module")
def vista_parquet(tmp_path_factory):
    return write_mathvista_parquet(tmp_path_factory.mktemp("mathvista-hub") / "testmini.parquet")


@pytest.fixture(scope="module")
def vision_jsonl(tmp_path_factory):
    return write_mathvision_github(tmp_path_factory.mktemp("mathv"))


def _by_id(problems):
    return {p.id: p for p in problems}


# ------------------------------------------------------------------------------------------ MathVista

def test_mathvista_github_default_is_free_form_as_the_paper(vista_json):
    problems = load_benchmark("mathvista", source=vista_json)
    recs = mathvista_records()
    assert {p.id for p in problems} == {k for k, r in recs.items() if r["question_type"] == "free_form"}
    assert all(p.metadata["kind"] == "visual" and p.benchmark == "mathvista" for p in problems)
    mc = load_benchmark("mathvista", source=vista_json, question_type="multi_choice")
    assert {p.id for p in mc} == {k for k, r in recs.items() if r["question_type"] == "multi_choice"}
    assert len(load_benchmark("mathvista", source=vista_json, question_type="all")) == len(recs)


@pytest.mark.parametrize("m", range(2, 9))
def test_mathvista_multiple_choice_reference_is_the_letter(vista_json, m):
    p = _by_id(load_benchmark("mathvista", source=vista_json, question_type="all"))[str(m - 1)]
    assert len(p.metadata["choices"]) == m
    assert p.reference == "ABCDEFGH"[m - 1]                      # the last option is right
    assert p.metadata["reference_raw"] == p.metadata["choices"][-1]
    assert p.metadata["answer_type"] == "multi_choice" and p.metadata["question_type"] == "multi_choice"
    text = render_question(p)
    assert text.startswith(p.question + "\nChoices:\n(A) 12\n(B) 15")
    assert text.endswith(f"({'ABCDEFGH'[m - 1]}) {p.metadata['choices'][-1]}")


def test_mathvista_metadata(vista_json):
    ps = _by_id(load_benchmark("mathvista", source=vista_json, question_type="all"))
    assert ps["11"].metadata["precision"] == 1 and ps["11"].metadata["answer_type"] == "float"
    assert ps["12"].metadata["precision"] == 2 and ps["12"].reference == "0.57"
    assert "precision" not in ps["10"].metadata and ps["10"].metadata["answer_type"] == "integer"
    assert ps["13"].metadata["answer_type"] == "list" and ps["14"].reference == "[2014, 2016]"
    assert ps["15"].metadata["unit"] == "years" and ps["16"].metadata["unit"] == "g"
    assert ps["8"].metadata["language"] == "chinese" and ps["8"].reference == "C"
    assert ps["8"].question.startswith("△ABC") and ps["17"].metadata["language"] == "persian"
    assert ps["10"].metadata["dataset"] == "SyntheticQA" and ps["10"].metadata["skills"] == ["arithmetic reasoning"]
    assert ps["10"].metadata["official_rule"] == "mathvista"
    for p in ps.values():
        json.dumps(p.metadata)                  # the run stores the metadata as JSON


def test_mathvista_images_are_hashed_files(vista_json):
    ps = load_benchmark("mathvista", source=vista_json, question_type="all")
    for p in ps:
        [img] = p.metadata["images"]
        path = vista_json.parent / "images" / f"{p.id}.jpg"
        assert img["source"] == str(path.resolve())
        data = path.read_bytes()
        assert img["sha256"] == hashlib.sha256(data).hexdigest() and img["bytes"] == len(data)
        assert (img["width"], img["height"], img["format"]) == (48, 32, "JPEG")
        assert image_bytes(img) == data
    assert len({p.metadata["images"][0]["sha256"] for p in ps}) == len(ps)


def test_mathvista_parquet_reads_like_the_github_file(vista_json, vista_parquet):
    a = _by_id(load_benchmark("mathvista", source=vista_json, question_type="all"))
    b = _by_id(load_benchmark("mathvista", source=vista_parquet, question_type="all"))
    assert a.keys() == b.keys()
    for pid in a:
        pa_, pb = a[pid], b[pid]
        assert (pa_.question, pa_.reference) == (pb.question, pb.reference)
        strip = {"images", "source"}
        assert {k: v for k, v in pa_.metadata.items() if k not in strip} == \
            {k: v for k, v in pb.metadata.items() if k not in strip}      # NaN precision reads as absent
        [ia], [ib] = pa_.metadata["images"], pb.metadata["images"]
        assert ia["sha256"] == ib["sha256"]                              # the same pixels, embedded
        assert ib["source"] == str(vista_parquet.resolve()) and ib["column"] == "decoded_image"
        assert image_bytes(ib) == image_bytes(ia)
        json.dumps(pb.metadata)
    # rows across row groups (row_group_size=5) resolve to their own bytes
    assert [b[p].metadata["images"][0]["row"] for p in ("1", "10", "17")] == [0, 9, 16]


def test_mathvista_query_field(vista_parquet, vista_json):
    ps = _by_id(load_benchmark("mathvista", source=vista_parquet, question_type="all", prompt_field="query"))
    p = ps["8"]
    assert p.question.startswith("Hint: Please answer the question and provide the correct option letter")
    assert render_question(p) == p.question                   # the query holds the choices already
    assert render_question(ps["15"]).endswith("(Unit: years)")
    with pytest.raises(InputError, match="query"):
        load_benchmark("mathvista", source=vista_json, prompt_field="query")   # GitHub file: no query field


def test_mathvista_split_option(vista_json):
    assert len(load_benchmark("mathvista", source=vista_json, split="testmini")) == 8
    with pytest.raises(InputError, match="no problems"):
        load_benchmark("mathvista", source=vista_json, split="test")


def test_options_are_checked(vista_json):
    with pytest.raises(InputError, match="question_type"):
        load_benchmark("mathvista", source=vista_json, question_type="mc")
    with pytest.raises(InputError, match="prompt_field"):
        load_benchmark("mathvista", source=vista_json, prompt_field="hint")
    with pytest.raises(InputError, match="takes no option"):
        load_benchmark("mathvision", source=vista_json, prompt_field="query")


def test_answer_not_among_choices_is_an_error(tmp_path):
    recs = mathvista_records()
    recs["8"]["answer"] = "146°"
    path = write_mathvista_github(tmp_path, recs)
    with pytest.raises(InputError, match=r"146°.*none of the choices") as e:
        load_benchmark("mathvista", source=path, question_type="all")
    assert "testmini.json" in str(e.value)


def test_visual_kind_prompt_through_a_template(vista_json):
    p = _by_id(load_benchmark("mathvista", source=vista_json, question_type="all"))["8"]
    kind = get_kind("visual")
    text = kind.prompt(p, get_template("easyr1"))
    assert text.startswith(p.question + "\nChoices:\n(A) 135°") and text.endswith("MUST BE put in \\boxed{}.")
    assert kind.prompt(p, None) == (("user", render_question(p)),)


# ----------------------------------------------------------------------------------------- MathVision

def test_mathvision_github(vision_jsonl):
    ps = _by_id(load_benchmark("mathvision", source=vision_jsonl, question_type="all"))
    assert set(ps) == {r["id"] for r in mathvision_records()}
    letters, texts = ps["2"], ps["9"]
    assert letters.reference == "A" and letters.metadata["choices_in_image"] is True
    assert render_question(letters) == letters.question           # options drawn in the image: not listed
    assert texts.reference == "B" and texts.metadata["choices_in_image"] is False
    assert render_question(texts) == texts.question + "\n(A) net one\n(B) net two\n(C) net three\n(D) net four" \
        "\n(E) net five"                                           # MATH-V's prompt: no "Choices:" line
    assert texts.metadata["image_tags"] == ["<image1>", "<image2>"]
    assert len(texts.metadata["images"]) == 1                      # one composite image for both tags
    assert ps["11"].reference == "11" and ps["11"].metadata["answer_type"] == "integer"
    assert ps["14"].reference == "\\frac{1}{3}" and ps["14"].metadata["reference_raw"] == "$\\frac{1}{3}$"
    assert ps["20"].reference == "\\frac{36}{13}" and ps["20"].metadata["reference_raw"] == "\x0crac{36}{13}"
    assert "escape defect" in ps["20"].metadata["reference_note"]
    assert ps["23"].reference == "(3,-4)" and ps["23"].metadata["answer_type"] == "expression"
    assert ps["31"].metadata["answer_type"] == "float"
    assert (ps["5"].metadata["level"], ps["5"].metadata["subject"]) == (3, "metric geometry - area")
    img = ps["2"].metadata["images"][0]
    assert img["source"] == str((vision_jsonl.parent.parent / "images" / "2.jpg").resolve())
    free = load_benchmark("mathvision", source=vision_jsonl)
    assert {p.id for p in free} == {"11", "14", "20", "23", "31"}


def test_mathvision_parquet(tmp_path, vision_jsonl):
    path = write_mathvision_parquet(tmp_path / "testmini.parquet")
    a = _by_id(load_benchmark("mathvision", source=vision_jsonl, question_type="all"))
    b = _by_id(load_benchmark("mathvision", source=path, question_type="all"))
    for pid in a:
        assert (a[pid].reference, a[pid].question) == (b[pid].reference, b[pid].question)
        assert a[pid].metadata["images"][0]["sha256"] == b[pid].metadata["images"][0]["sha256"]
        assert b[pid].metadata["images"][0]["row"] == list(a).index(pid)


def test_image_root_option(tmp_path):
    path = write_mathvision_github(tmp_path / "repo")
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    (tmp_path / "repo" / "images").rename(moved / "images")
    with pytest.raises(InputError, match="not found"):
        load_benchmark("mathvision", source=path)
    assert len(load_benchmark("mathvision", source=path, image_root=moved)) == 5


def test_hub_source_reads_the_hub_rows(monkeypatch, tmp_path):
    datasets = pytest.importorskip("datasets")
    from boundary.tasks import visual
    path = write_mathvista_parquet(tmp_path / "hub.parquet")
    calls = []

    def fake_load_dataset(name, split=None, revision=None):
        calls.append((name, split))
        return datasets.Dataset.from_parquet(str(path))

    monkeypatch.setattr(datasets, "load_dataset", fake_load_dataset)
    visual._hub_dataset.cache_clear()
    try:
        ps = _by_id(load_benchmark("mathvista", question_type="all"))
        img = ps["12"].metadata["images"][0]
        assert img["source"] == "hub:AI4Math/MathVista" and img["split"] == "testmini" and img["row"] == 11
        assert hashlib.sha256(image_bytes(img)).hexdigest() == img["sha256"]
        assert calls[0] == ("AI4Math/MathVista", "testmini") and ps["11"].metadata["precision"] == 1
    finally:
        visual._hub_dataset.cache_clear()


# ----------------------------------------------------------------------------------------- bad images

def _bad(tmp_path, pid: str, data: bytes | None):
    recs = mathvista_records()
    path = write_mathvista_github(tmp_path, recs)
    img = path.parent / recs[pid]["image"]
    if data is None:
        img.unlink()
    else:
        img.write_bytes(data)
    return path, img


@pytest.mark.parametrize("case, data, message", [
    ("missing", None, "not found"),
    ("zero bytes", b"", "empty"),
    ("truncated jpeg", draw("x", size=(200, 200))[:400], "truncated or corrupt"),
    ("truncated png", draw("x", "PNG", size=(200, 200))[:150], "truncated or corrupt"),
    ("not an image", b"<html>404</html>", "not an image"),
    ("20k x 20k", None, "too large"),
])
def test_bad_images_are_clear_errors_at_load(tmp_path, case, data, message):
    if case == "20k x 20k":
        data = huge_png()
    path, img = _bad(tmp_path, "10", data)
    with pytest.raises(InputError, match=message) as e:
        load_benchmark("mathvista", source=path)
    assert "mathvista problem '10'" in str(e.value)
    assert "10.jpg" in str(e.value)


def test_bad_embedded_image_names_the_row(tmp_path):
    path = write_mathvista_parquet(tmp_path / "t.parquet", image_override={"12": b""})
    with pytest.raises(InputError, match=r"problem '12'.*row 11.*empty"):
        load_benchmark("mathvista", source=path)


def test_check_image_limits():
    info = check_image(draw("ok", "PNG"), what="x")
    assert (info["width"], info["height"], info["format"]) == (48, 32, "PNG")
    with pytest.raises(InputError, match=f"{MAX_PIXELS:,}"):
        check_image(huge_png(8000, 7000), what="x")                  # 56 M pixels: above the limit, below PIL's


def test_changed_image_is_detected(tmp_path):
    path = write_mathvista_github(tmp_path)
    p = load_benchmark("mathvista", source=path)[0]
    (path.parent / "images" / f"{p.id}.jpg").write_bytes(draw("other"))
    with pytest.raises(InputError, match="changed"):
        image_bytes(p.metadata["images"][0])
