"""Code benchmarks: HumanEval+ and MBPP+ (EvalPlus releases) and LiveCodeBench.

Every problem has ``metadata["kind"] == "code"`` and what the sandbox needs:

- ``test_type``: ``functional`` (call a function / a ``Solution`` method) or ``stdio``;
- ``entry_point`` (and ``class_name`` for LeetCode-style problems), ``inputs`` (argument lists, or
  stdin texts), ``outputs`` (expected values / stdout texts; ``None`` for EvalPlus, whose expected
  outputs come from running the canonical solution), ``segments`` (test groups, e.g.
  ``[("base", 4), ("plus", 120)]``), ``atol``, ``oracle`` (EvalPlus's special checks), ``prelude``;
- ``prompt_code`` (HumanEval: the signature, prepended to a bare function body).

``Problem.reference`` is the canonical solution as a complete program ("" when the benchmark has
none, as LiveCodeBench).

Sources:
- HumanEval+ v0.1.10 and MBPP+ v0.2.0, EvalPlus (Liu et al. 2023), Apache-2.0, from the release
  files (sha256-pinned) given as a local path or downloaded from the release URL;
- LiveCodeBench (Jain et al. 2024), ``livecodebench/code_generation_lite`` on the Hugging Face
  hub through ``datasets`` (optional), or a local JSONL in the same format.
"""

from __future__ import annotations

import base64
import gzip
import io
import json
import os
import pickle
import urllib.request
import zlib
from pathlib import Path
from typing import Any, TypedDict

from boundary._files import sha256_file  # noqa: F401  (re-exported)
from boundary.errors import InputError
from boundary.tasks.problem import Problem

class _EvalPlusRelease(TypedDict):
    file: str
    url: str
    sha256: str
    dataset: str
    count: int


EVALPLUS: dict[str, _EvalPlusRelease] = {
    "humaneval+": {
        "file": "HumanEvalPlus-v0.1.10.jsonl.gz",
        "url": "https://github.com/evalplus/humanevalplus_release/releases/download/v0.1.10/HumanEvalPlus.jsonl.gz",
        "sha256": "272720b90ac375502c8ed23cd791c2a93dfb22a911641a494da74a426c09f101",
        "dataset": "humaneval",
        "count": 164,
    },
    "mbpp+": {
        "file": "MbppPlus-v0.2.0.jsonl.gz",
        "url": "https://github.com/evalplus/mbppplus_release/releases/download/v0.2.0/MbppPlus.jsonl.gz",
        "sha256": "af43697e8791c4c149bdfd6b489d8b5412507551ac20e28a439f650b8225db63",
        "dataset": "mbpp",
        "count": 378,
    },
}
CODE_BENCHMARKS = ("humaneval+", "mbpp+", "livecodebench")
_ALIASES = {"humanevalplus": "humaneval+", "humaneval_plus": "humaneval+", "mbppplus": "mbpp+",
            "mbpp_plus": "mbpp+", "lcb": "livecodebench", "livecodebench_v5": "livecodebench"}

# EvalPlus special oracles (evalplus/eval/_special_oracle.py and eval/__init__.py, Apache-2.0).
_MBPP_ORACLES = {"are_equivalent": "are_equivalent", "sum_div": "sum_div", "surface_Area": "surface_Area",
                 "digit_distance_nums": "digit_distance_nums"}
_MBPP_NOT_NONE = {"check_str", "text_match_three", "text_starta_endb"}
_MBPP_SET_EQ = {"similar_elements", "find_char_long", "common_in_nested_lists", "extract_singly", "larg_nnum",
                "intersection_array", "find_dissimilar", "Diff"}

#: LiveCodeBench's prelude for every program (``lcb_runner/evaluation/testing_util.py``, MIT).
LCB_PRELUDE = (
    "from string import *\nfrom re import *\nfrom datetime import *\nfrom collections import *\n"
    "from heapq import *\nfrom bisect import *\nfrom copy import *\nfrom math import *\nfrom random import *\n"
    "from statistics import *\nfrom itertools import *\nfrom functools import *\nfrom operator import *\n"
    "from io import *\nfrom sys import *\nfrom json import *\nfrom builtins import *\nfrom typing import *\n"
    "import string\nimport re\nimport datetime\nimport collections\nimport heapq\nimport bisect\nimport copy\n"
    "import math\nimport random\nimport statistics\nimport itertools\nimport functools\nimport operator\n"
    "import io\nimport sys\nimport json\nsys.setrecursionlimit(50000)\n"
)


def canonical_name(name: str) -> str:
    n = name.strip().lower()
    n = _ALIASES.get(n, n)
    if n not in CODE_BENCHMARKS:
        raise InputError(f"unknown code benchmark {name!r}; choose one of {', '.join(CODE_BENCHMARKS)}.")
    return n




def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "boundary" / "data"


def fetch_evalplus(name: str, source: str | Path | None = None, *, check_sha256: bool = True) -> Path:
    """The release file of ``humaneval+``/``mbpp+``: ``source`` (a file, or a directory holding the
    release file), else the download cache, else downloaded from the release URL. The sha256 of
    the gzipped file must match the pin unless ``check_sha256=False``."""
    spec = EVALPLUS[name]
    if source is not None:
        p = Path(source)
        if p.is_dir():
            p = p / spec["file"]
        if not p.exists():
            raise InputError(f"file not found; pass the {spec['file']} release file or its directory.", path=str(p))
    else:
        p = _cache_dir() / spec["file"]
        if not p.exists():
            p.parent.mkdir(parents=True, exist_ok=True)
            tmp = p.with_suffix(f".{os.getpid()}.part")
            try:
                with urllib.request.urlopen(spec["url"], timeout=120) as r, open(tmp, "wb") as f:
                    f.write(r.read())
            except OSError as e:
                raise InputError(f"cannot download {spec['url']}: {e}. Download it yourself and pass "
                                 f"source=PATH.") from e
            if sha256_file(tmp) != spec["sha256"]:
                tmp.unlink(missing_ok=True)
                raise InputError(f"downloaded {spec['url']} does not have the pinned sha256 {spec['sha256']}.")
            os.replace(tmp, p)
    if check_sha256 and str(p).endswith(".gz"):
        got = sha256_file(p)
        if got != spec["sha256"]:
            raise InputError(f"sha256 {got} differs from the pinned {spec['sha256']} of {spec['file']}; "
                             "pass check_sha256=False to use another version.", path=str(p))
    return p


def _read_jsonl_any(p: Path) -> list[dict]:
    opener = gzip.open if str(p).endswith(".gz") else open
    with opener(p, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def mbpp_deserialize_inputs(task_id: str, inputs: list) -> list:
    """EvalPlus's ``mbpp_deserialize_inputs`` (evalplus/data/mbpp.py, Apache-2.0): tuples, sets and
    complex numbers that JSON cannot hold."""
    t = int(task_id.split("/")[-1])
    if t in [2, 116, 132, 143, 222, 261, 273, 394, 399, 421, 424, 429, 470, 560, 579, 596, 616, 630, 726, 740,
             744, 809]:
        return [[tuple(lst) for lst in inp] for inp in inputs]
    if t in [63, 64, 70, 94, 120, 237, 272, 299, 400, 409, 417, 438, 473, 614, 780]:
        return [[[tuple(lst) for lst in lst_lst] for lst_lst in inp] for inp in inputs]
    if t in [75, 413, 444, 753]:
        return [[[tuple(lst) for lst in inp[0]]] + [inp[1]] for inp in inputs]
    if t in (106, 750):
        return [[inp[0]] + [tuple(inp[1])] for inp in inputs]
    if t == 115:
        return [[[set(item) if isinstance(item, list) and len(item) else {} for item in inp[0]]] for inp in inputs]
    if t == 124:
        return [(float(inp[0]), complex(inp[1])) for inp in inputs]
    if t in [250, 405, 446, 617, 720, 763, 808]:
        return [[tuple(inp[0])] + [inp[1]] for inp in inputs]
    if t in [259, 401, 445]:
        mod = [[[tuple(lst) for lst in lst_lst] for lst_lst in inp] for inp in inputs]
        return [[tuple(lst) for lst in inp] for inp in mod]
    if t == 278:
        mod = [[[tuple(item) if isinstance(item, list) else item for item in inp[0]]] for inp in inputs]
        return [[tuple(lst) for lst in inp] for inp in mod]
    if t == 307:
        return [[tuple(inp[0])] + [inp[1], inp[2]] for inp in inputs]
    if t == 722:
        return [[{k: tuple(v) for k, v in inp[0].items()}] + inp[1:] for inp in inputs]
    if t == 252:
        return [[complex(inp[0])] for inp in inputs]
    if t in [580, 615, 791]:
        def tup(x):
            return tuple(tup(i) for i in x) if isinstance(x, list) else x
        return [tup(inp) for inp in inputs]
    return inputs


def load_evalplus(name: str, source: str | Path | None = None, *, check_sha256: bool = True) -> list[Problem]:
    name = canonical_name(name)
    p = fetch_evalplus(name, source, check_sha256=check_sha256)
    spec = EVALPLUS[name]
    rows = _read_jsonl_any(p)
    problems = []
    for r in rows:
        tid, entry = r["task_id"], r["entry_point"]
        base, plus = r["base_input"], r["plus_input"]
        oracle = None
        if spec["dataset"] == "mbpp":
            base, plus = mbpp_deserialize_inputs(tid, base), mbpp_deserialize_inputs(tid, plus)
            if entry in _MBPP_ORACLES:
                oracle = _MBPP_ORACLES[entry]
            elif entry in _MBPP_SET_EQ:
                oracle = "set_eq"
            elif entry in _MBPP_NOT_NONE:
                oracle = "not_none"
        elif entry == "find_zero":
            oracle = "find_zero"
        meta: dict[str, Any] = {
            "kind": "code", "test_type": "functional", "entry_point": entry,
            "inputs": list(base) + list(plus), "outputs": None,
            "segments": [("base", len(base)), ("plus", len(plus))],
            "atol": float(r.get("atol") or 0), "oracle": oracle,
            "dataset": spec["dataset"], "source_sha256": spec["sha256"], "source_file": spec["file"],
        }
        if spec["dataset"] == "humaneval":
            meta["prompt_code"] = r["prompt"]
        if spec["dataset"] == "mbpp":
            meta["assertion"] = r.get("assertion")
        problems.append(Problem(benchmark=name, id=tid, question=r["prompt"],
                                reference=r["prompt"] + r["canonical_solution"], metadata=meta))
    return problems


# ------------------------------------------------------------------------------------ LiveCodeBench
class _NoGlobalsUnpickler(pickle.Unpickler):
    def find_class(self, module, name):  # pragma: no cover - only hostile data gets here
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from test data")


def decode_lcb_tests(value: Any) -> list[dict]:
    """LiveCodeBench test cases: a JSON string, or base64(zlib(pickle(JSON string))) for private
    tests. Unpickled with no globals allowed (the pickle holds only a string)."""
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return value
    try:
        return json.loads(value)
    except (ValueError, TypeError):
        pass
    raw = zlib.decompress(base64.b64decode(value))
    obj = _NoGlobalsUnpickler(io.BytesIO(raw)).load()
    return json.loads(obj) if isinstance(obj, (str, bytes)) else obj


def encode_lcb_private(tests: list[dict]) -> str:
    """The inverse of ``decode_lcb_tests`` for private tests (to write fixtures)."""
    return base64.b64encode(zlib.compress(pickle.dumps(json.dumps(tests)))).decode()


def lcb_problem(row: dict, benchmark: str = "livecodebench") -> Problem:
    tests = decode_lcb_tests(row.get("public_test_cases")) + decode_lcb_tests(row.get("private_test_cases"))
    n_public = len(decode_lcb_tests(row.get("public_test_cases")))
    meta_raw = row.get("metadata") or {}
    meta_in = json.loads(meta_raw) if isinstance(meta_raw, str) else dict(meta_raw)
    functional = bool(tests) and tests[0].get("testtype") == "functional"
    meta: dict[str, Any] = {
        "kind": "code", "prelude": LCB_PRELUDE,
        "segments": [("public", n_public), ("private", len(tests) - n_public)],
        "platform": row.get("platform"), "difficulty": row.get("difficulty"),
        "contest_date": str(row.get("contest_date") or ""), "starter_code": row.get("starter_code") or "",
        "question_title": row.get("question_title"),
    }
    if functional:
        meta.update(test_type="functional", entry_point=meta_in["func_name"], class_name="Solution",
                    oracle="lcb", atol=0.0,
                    inputs=[[json.loads(line) for line in t["input"].split("\n")] for t in tests],
                    outputs=[json.loads(t["output"]) for t in tests])
    else:
        meta.update(test_type="stdio", inputs=[t["input"] for t in tests], outputs=[t["output"] for t in tests])
    if row.get("time_limit_s"):
        meta["time_limit_s"] = float(row["time_limit_s"])
    return Problem(benchmark=benchmark, id=str(row["question_id"]), question=row["question_content"],
                   reference=row.get("reference_solution") or "", metadata=meta)


def _in_window(date: str, start: str | None, end: str | None) -> bool:
    d = (date or "")[:10]
    return (start is None or d >= start) and (end is None or d <= end)


def load_livecodebench(source: str | Path | None = None, *, version: str = "release_v5",
                       start_date: str | None = None, end_date: str | None = None) -> list[Problem]:
    """LiveCodeBench problems from a local JSONL/JSON file in the hub's format, or from the hub
    (``livecodebench/code_generation_lite``, ``version_tag=version``; needs ``datasets``).
    ``start_date``/``end_date`` (``YYYY-MM-DD``, inclusive) select by ``contest_date``."""
    if source is not None and Path(source).exists():
        p = Path(source)
        if p.suffix == ".json":
            rows = json.loads(p.read_text(encoding="utf-8"))
        else:
            rows = _read_jsonl_any(p)
    else:
        try:
            import datasets
        except ImportError as e:
            raise InputError("LiveCodeBench needs the `datasets` package (pip install 'boundary[code]'), "
                             "or a local file: source=PATH.") from e
        repo = str(source) if source else "livecodebench/code_generation_lite"
        ds = datasets.load_dataset(repo, split="test", version_tag=version, trust_remote_code=True)
        rows = list(ds)
    return [lcb_problem(r) for r in rows if _in_window(str(r.get("contest_date") or ""), start_date, end_date)]


def load_code_benchmark(name: str, source: str | Path | None = None, **options) -> list[Problem]:
    """Problems of ``humaneval+``, ``mbpp+`` or ``livecodebench`` (see the module docstring).

    ``options``: ``check_sha256`` (EvalPlus), ``version``/``start_date``/``end_date`` (LiveCodeBench).
    """
    name = canonical_name(name)
    if name == "livecodebench":
        return load_livecodebench(source, **options)
    return load_evalplus(name, source, **options)
