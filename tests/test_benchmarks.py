"""Benchmark loaders: local files (tests/data/math), the hub path (with a fake `datasets`),
offline errors, the name registry and custom benchmarks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import pytest

from boundary.errors import BoundaryError, InputError
from boundary.tasks import Problem, load_benchmark, load_custom
from boundary.tasks.math import BENCHMARKS, canonical_name, last_boxed, verify_hints

DATA = Path(__file__).parent / "data" / "math"
FILES = {"gsm8k": "gsm8k.jsonl", "math500": "math500.jsonl", "minerva": "minerva_math.jsonl",
         "olympiadbench": "olympiadbench.jsonl", "aime24": "aime24.jsonl", "amc23": "amc23.jsonl"}
COUNTS = {"gsm8k": 1319, "math500": 500, "minerva": 272, "olympiadbench": 675, "aime24": 30, "amc23": 40}


def load(name):
    return load_benchmark(name, source=DATA / FILES[name])


def by_id(problems):
    return {p.id: p for p in problems}


# ------------------------------------------------------------------------ local files


@pytest.mark.parametrize("name", list(FILES))
def test_counts_ids_and_fields(name):
    problems = load(name)
    assert len(problems) == COUNTS[name] == BENCHMARKS[name].size
    ids = [p.id for p in problems]
    assert len(set(ids)) == len(ids)
    for p in problems:
        assert isinstance(p, Problem) and p.benchmark == name
        assert isinstance(p.question, str) and p.question.strip() and p.question == p.question.strip()
        assert isinstance(p.reference, str) and p.reference.strip()
        assert "$" not in p.reference.replace("\\$", "")
        assert p.metadata["source"] == f"file:{FILES[name]}"
    assert [p.metadata["index"] for p in problems] == list(range(len(problems)))


def test_aime24_references():
    ps = load("aime24")
    assert ps[0].id == "60" and ps[0].reference == "204"          # 2024 AIME I, problem 1
    assert "Aya" in ps[0].question
    assert ps[0].metadata["url"].endswith("2024_AIME_I_Problems/Problem_1")
    p = by_id(ps)["67"]
    assert p.reference == "25" and p.metadata["reference_raw"] == "025"   # leading zero dropped
    assert all(p.reference.isdigit() and 0 <= int(p.reference) <= 999 for p in ps)


def test_amc23_references():
    ps = load("amc23")
    assert ps[0].id == "0" and ps[0].reference == "27" and ps[0].metadata["reference_raw"] == 27.0
    assert by_id(ps)["17"].reference == "-1"
    assert all("." not in p.reference for p in ps)


def test_gsm8k_references():
    ps = by_id(load("gsm8k"))
    assert ps["0"].reference == "18" and "reference_raw" not in ps["0"].metadata
    p = ps["146"]
    assert p.reference == "2125" and p.metadata["reference_raw"] == "2,125"
    assert ps["201"].reference == "114200"
    assert all("," not in p.reference for p in ps.values())


def test_math500_references():
    ps = load("math500")
    p = ps[0]
    assert p.id == "test/precalculus/807.json"
    assert p.reference == r"\left( 3, \frac{\pi}{2} \right)"
    assert p.metadata["subject"] == "Precalculus" and p.metadata["level"] == 2
    assert p.metadata["unique_id"] == p.id


def test_minerva_references():
    ps = by_id(load("minerva"))
    assert ps["0"].reference == "1.6"
    # nested braces inside the last \boxed{...}
    assert ps["112"].reference == (
        r"\omega_{n}^{2} e^{-\zeta \omega_{n} t} \cos \left(\omega_{n} \sqrt{1-\zeta^{2}} t\right)"
        r"-\frac{\zeta \omega_{n}^{2}}{\sqrt{1-\zeta^{2}}} e^{-\zeta \omega_{n} t} \sin "
        r"\left(\omega_{n} \sqrt{1-\zeta^{2}} t\right)")
    # a stray "$ $" inside the source's box is removed, the raw text kept
    p = ps["72"]
    assert p.reference == r"x_{0} \cos (\omega t)+ \dot{x}_{0} \sin (\omega t) / \omega"
    assert "$ $" in p.metadata["reference_raw"]


def test_olympiadbench_references():
    ps = by_id(load("olympiadbench"))
    p = ps["1606"]
    assert p.reference == "2" and p.metadata["answer_type"] == "Numerical"
    assert p.metadata["subfield"] == "Combinatorics" and p.metadata["is_multiple_answer"] is False
    m = ps["1664"]                      # multi-answer written as "$69$,$84$"
    assert m.metadata["is_multiple_answer"] is True and m.reference == "69,84"
    assert m.metadata["reference_raw"] == ["$69$,$84$"]
    t = ps["1618"]
    assert t.reference == "(1,8,19), (2,7,13), (4,5,7)" and t.metadata["answer_type"] == "Tuple"
    u = ps["2419"]
    assert u.reference == "166" and u.metadata["unit"] == "cm^2" and u.metadata["unit_raw"] == "$cm^2$"
    assert ps["2592"].metadata["unit"] == "%"
    assert verify_hints(u) == {"unit": "cm^2", "is_multiple_answer": False, "answer_type": "Numerical"}
    assert sum(p.metadata["is_multiple_answer"] for p in ps.values()) == 94


def test_olympiadbench_final_answer_as_string_and_context(tmp_path):
    rows = [
        {"id": 1, "question": "Find x.", "final_answer": "['2']", "context": None, "answer_type": "Numerical",
         "is_multiple_answer": False, "unit": None},
        {"id": 2, "question": "Find all pairs.", "final_answer": "['$(1,2)$', '$(3,4)$']",
         "context": "Let f be a function.", "answer_type": "Tuple", "is_multiple_answer": True,
         "unit": None},
        {"id": 3, "question": "Q", "final_answer": "__import__('os')", "is_multiple_answer": False},
    ]
    f = tmp_path / "ob.jsonl"
    f.write_text("\n".join(json.dumps(r) for r in rows[:2]) + "\n")
    ps = load_benchmark("OlympiadBench", source=f)
    assert ps[0].reference == "2"
    assert ps[1].reference == "(1,2), (3,4)" and ps[1].question == "Let f be a function.\nFind all pairs."
    # not a list literal: taken as one answer (never eval'd)
    f.write_text(json.dumps(rows[2]) + "\n")
    assert load_benchmark("olympiadbench", source=f)[0].reference == "__import__('os')"
    f.write_text(json.dumps({**rows[2], "final_answer": "[1, 2"}) + "\n")
    with pytest.raises(InputError, match=r"ob\.jsonl, line 1, field 'final_answer'"):
        load_benchmark("olympiadbench", source=f)


def test_last_boxed():
    assert last_boxed(r"\boxed{\frac{a}{\sqrt{b}}} and \fbox{7}") == "7"
    assert last_boxed(r"\boxed{\left\{ x \right.}") == r"\left\{ x \right."
    assert last_boxed(r"\boxed{unclosed") is None
    assert last_boxed(r"\boxed{1} \boxed{unclosed") == "1"
    assert last_boxed(r"$\boxed 5$") == "5"
    assert last_boxed(r"\boxedx{1}") is None


def test_local_file_errors(tmp_path):
    f = tmp_path / "gsm.jsonl"
    f.write_text(json.dumps({"question": "q", "answer": "no marker"}) + "\n")
    with pytest.raises(InputError, match=r"gsm\.jsonl, line 1, field 'answer'.*####"):
        load_benchmark("gsm8k", source=f)
    f.write_text(json.dumps({"question": "q", "answer": "#### 1", "idx": 0}) + "\n" + "{bad json\n")
    with pytest.raises(InputError, match=r"line 2.*invalid JSON"):
        load_benchmark("gsm8k", source=f)
    f.write_text("\n".join(json.dumps({"question": "q", "answer": "#### 1", "idx": 0}) for _ in range(2)))
    with pytest.raises(InputError, match="duplicate problem id '0'"):
        load_benchmark("gsm8k", source=f)
    f.write_text(json.dumps({"answer": "#### 1"}) + "\n")
    with pytest.raises(InputError, match=r"field 'question'"):
        load_benchmark("gsm8k", source=f)
    with pytest.raises(InputError, match="file not found"):
        load_benchmark("gsm8k", source=tmp_path / "missing.jsonl")


def test_local_parquet_same_as_jsonl(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [json.loads(line) for line in (DATA / "math500.jsonl").read_text().splitlines()[:20]]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "m.parquet")
    a = load_benchmark("math500", source=tmp_path / "m.parquet")
    b = load("math500")[:20]
    assert [(p.id, p.question, p.reference) for p in a] == [(p.id, p.question, p.reference) for p in b]


# ------------------------------------------------------------------------ registry


def test_names_and_aliases():
    for alias, canon in [("math500", "math500"), ("MATH-500", "math500"), ("aime24", "aime24"),
                         ("AIME2024", "aime24"), ("minerva", "minerva"), ("minerva_math", "minerva"),
                         ("olympiadbench", "olympiadbench"), ("Olympiad", "olympiadbench"),
                         ("GSM8K", "gsm8k"), ("amc23", "amc23"), ("AMC_2023", "amc23")]:
        assert canonical_name(alias) == canon, alias
    assert canonical_name("mmlu") is None
    ps = load_benchmark("MATH-500", source=DATA / "math500.jsonl")
    assert ps[0].benchmark == "math500"
    for info in BENCHMARKS.values():
        assert info.description and info.answer_space and info.hub_path and info.license
        assert set(info.as_dict()) >= {"name", "description", "size", "answer_space"}


def test_unknown_name_lists_known():
    with pytest.raises(InputError) as e:
        load_benchmark("mmlu")
    msg = str(e.value)
    for name in BENCHMARKS:
        assert name in msg
    assert "source=" in msg


# ------------------------------------------------------------------------ hub (faked)

HUB_ROWS = {
    "HuggingFaceH4/MATH-500": [
        {"problem": "Compute $1+1$.", "solution": "It is $\\boxed{2}$.", "answer": "2", "subject": "Algebra",
         "level": 1, "unique_id": "test/algebra/1.json"}],
    "openai/gsm8k": [{"question": "How many?", "answer": "So 1,000.\n#### 1,000"}],
    "Maxwell-Jia/AIME_2024": [{"ID": "2024-I-1", "Problem": "Every morning Aya ...", "Solution": "...",
                                "Answer": 204}],
    "math-ai/amc23": [{"id": 0, "question": "Cities A and B ...", "answer": "27.0"}],
    "math-ai/minervamath": [{"question": "Find the diameter.", "answer": "1.6"}],
    "Hothan/OlympiadBench": [{"id": 1606, "question": "How many moves?", "solution": ["..."],
                              "final_answer": ["$2$"], "context": None, "is_multiple_answer": False,
                              "unit": None, "answer_type": "Numerical", "subfield": "Combinatorics",
                              "modality": "Text-only", "language": "English"}],
}


def fake_datasets(calls, rows=HUB_ROWS, exc=None):
    mod = types.ModuleType("datasets")

    def load_dataset(path, name=None, *, split=None, revision=None, **kw):
        calls.append((path, name, split, revision))
        if exc is not None:
            raise exc
        return list(rows[path])

    mod.load_dataset = load_dataset
    return mod


def test_hub_path_with_fake_datasets(monkeypatch):
    calls = []
    monkeypatch.setitem(sys.modules, "datasets", fake_datasets(calls))
    got = {name: load_benchmark(name) for name in FILES}
    assert calls == [("openai/gsm8k", "main", "test", None), ("HuggingFaceH4/MATH-500", None, "test", None),
                     ("math-ai/minervamath", None, "test", None),
                     ("Hothan/OlympiadBench", "OE_TO_maths_en_COMP", "train", None),
                     ("Maxwell-Jia/AIME_2024", None, "train", None), ("math-ai/amc23", None, "test", None)]
    g = got["gsm8k"][0]
    assert (g.id, g.reference, g.metadata["reference_raw"]) == ("0", "1000", "1,000")
    m = got["math500"][0]
    assert (m.id, m.reference, m.metadata["subject"]) == ("test/algebra/1.json", "2", "Algebra")
    assert m.metadata["source"] == "hub:HuggingFaceH4/MATH-500"
    a = got["aime24"][0]
    assert (a.id, a.question, a.reference) == ("2024-I-1", "Every morning Aya ...", "204")
    assert got["amc23"][0].reference == "27"
    assert got["minerva"][0].reference == "1.6" and got["minerva"][0].id == "0"
    o = got["olympiadbench"][0]
    assert (o.id, o.reference, o.metadata["answer_type"]) == ("1606", "2", "Numerical")
    assert o.metadata["source"] == "hub:Hothan/OlympiadBench/OE_TO_maths_en_COMP"
    # split / revision pass through
    calls.clear()
    load_benchmark("math500", split="test", revision="abc123")
    assert calls == [("HuggingFaceH4/MATH-500", None, "test", "abc123")]


def test_hub_offline_error_names_local_alternative(monkeypatch):
    calls = []
    monkeypatch.setitem(sys.modules, "datasets",
                        fake_datasets(calls, exc=ConnectionError("Couldn't reach 'HuggingFaceH4/MATH-500'")))
    with pytest.raises(InputError) as e:
        load_benchmark("math500")
    msg = str(e.value)
    assert "HuggingFaceH4/MATH-500" in msg and "ConnectionError" in msg
    assert "load_benchmark('math500', source='path/to/math500.jsonl')" in msg


def test_hub_without_datasets_installed(monkeypatch):
    monkeypatch.setitem(sys.modules, "datasets", None)   # makes `import datasets` fail
    with pytest.raises(BoundaryError) as e:
        load_benchmark("aime24")
    assert "pip install 'boundary[hub]'" in str(e.value)
    assert "source='path/to/aime24.jsonl'" in str(e.value)


def test_hub_real_datasets_offline(tmp_path):
    """The real `datasets` with HF_HUB_OFFLINE=1 (a subprocess, so no network is possible)."""
    pytest.importorskip("datasets")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf"),
           "HF_DATASETS_CACHE": str(tmp_path / "hf" / "datasets")}
    code = textwrap.dedent("""
        from boundary.errors import InputError
        from boundary.tasks import load_benchmark
        try:
            load_benchmark("math500")
        except InputError as e:
            print("INPUTERROR", e)
        else:
            print("LOADED")
    """)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert "INPUTERROR" in out.stdout, out.stdout + out.stderr
    assert "HF_HUB_OFFLINE" in out.stdout and "source='path/to/math500.jsonl'" in out.stdout


# ------------------------------------------------------------------------ custom


def test_custom_jsonl_mapping(tmp_path):
    f = tmp_path / "mine.jsonl"
    f.write_text("\n".join(json.dumps(r) for r in [
        {"uid": "a", "prompt": "  What is 2+2? ", "sol": "We get \\boxed{\\frac{8}{2}}.", "topic": "arith",
         "extra": 1},
        {"uid": "b", "prompt": "What is 3+3?", "sol": "\\boxed{6}", "topic": "arith", "extra": 2},
    ]) + "\n")
    ps = load_benchmark("mine", source=f, question="prompt", answer="sol", id="uid", metadata=["topic"],
                        answer_from_boxed=True)
    assert [(p.benchmark, p.id, p.question, p.reference) for p in ps] == [
        ("mine", "a", "What is 2+2?", "\\frac{8}{2}"), ("mine", "b", "What is 3+3?", "6")]
    assert ps[0].metadata == {"topic": "arith", "source": "file:mine.jsonl"}
    # default metadata: every other field; default id: the record index
    ps = load_custom(f, name="mine", question="prompt", answer="sol")
    assert ps[1].id == "1" and ps[1].metadata["extra"] == 2 and ps[1].metadata["uid"] == "b"
    assert ps[1].reference == "\\boxed{6}"


def test_custom_unknown_name_with_defaults_and_nested_fields(tmp_path):
    f = tmp_path / "nested.jsonl"
    f.write_text(json.dumps({"prompt": [{"content": "Q1"}], "reward_model": {"ground_truth": 7.0}}) + "\n")
    ps = load_benchmark("nested", source=f, question="prompt.0.content", answer="reward_model.ground_truth")
    assert (ps[0].question, ps[0].reference) == ("Q1", "7")
    g = tmp_path / "plain.jsonl"
    g.write_text(json.dumps({"question": "Q", "answer": "x=1"}) + "\n")
    assert load_benchmark("plain", source=g)[0].reference == "x=1"


def test_custom_csv_and_parquet(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    c = tmp_path / "b.csv"
    c.write_text("q,a,unit\nHow far?,12,km\nHow long?,3,s\n")
    ps = load_custom(c, name="b", question="q", answer="a")
    assert [(p.id, p.reference, p.metadata["unit"]) for p in ps] == [("0", "12", "km"), ("1", "3", "s")]
    assert verify_hints(ps[0]) == {"unit": "km"}
    pq.write_table(pa.Table.from_pylist([{"q": "Q", "a": "1", "k": 5}]), tmp_path / "b.parquet")
    ps = load_benchmark("b", source=tmp_path / "b.parquet", question="q", answer="a", id="k")
    assert ps[0].id == "5"


def test_custom_errors(tmp_path):
    f = tmp_path / "mine.jsonl"
    f.write_text(json.dumps({"q": "x", "a": "1"}) + "\n" + json.dumps({"q": "y"}) + "\n")
    with pytest.raises(InputError, match=r"mine\.jsonl, line 2, field 'a'.*missing or empty answer"):
        load_custom(f, name="mine", question="q", answer="a")
    with pytest.raises(InputError, match=r"mine\.jsonl, line 1, field 'question'.*fields present: \['a', 'q'\]"):
        load_custom(f, name="mine")
    with pytest.raises(InputError, match=r"line 1, field 'a'.*has no .boxed"):
        load_custom(f, name="mine", question="q", answer="a", answer_from_boxed=True)
    with pytest.raises(InputError, match=r"line 1, field 'uid'.*id field"):
        load_custom(f, name="mine", question="q", answer="a", id="uid")
    with pytest.raises(InputError, match=r"metadata field 'topic' not found"):
        load_custom(f, name="mine", question="q", answer="a", metadata=["topic"])
    f.write_text(json.dumps({"q": "x", "a": "1", "k": 1}) + "\n" + json.dumps({"q": "y", "a": "2", "k": 1}) + "\n")
    with pytest.raises(InputError, match=r"line 2.*duplicate problem id '1'"):
        load_custom(f, name="mine", question="q", answer="a", id="k")
    c = tmp_path / "b.csv"
    c.write_text("q,a\nHow far?,\n")
    with pytest.raises(InputError, match=r"b\.csv, row 1, field 'a'"):
        load_custom(c, name="b", question="q", answer="a")
    with pytest.raises(InputError, match="unknown field-mapping key"):
        load_benchmark("mine", source=f, questoin="q")
    with pytest.raises(InputError, match="no source file"):
        load_benchmark("mine", question="q")
    with pytest.raises(InputError, match="unsupported file type"):
        load_custom(tmp_path / "x.txt", name="x") if (tmp_path / "x.txt").write_text("hi") else None
