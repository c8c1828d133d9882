"""Write the importer fixtures of tests/test_importers.py (run once; the files are committed).

Each writer is reproduced from the source read (docs/import.md names file and version):
lm-eval: ``EvaluationTracker.save_results_samples`` over the per-document dict of ``evaluate``;
NeMo-Skills: ``postprocess_single_output`` / ``dump_outputs``; Inspect AI: ``EvalRecorder`` (.eval)
and ``JSONRecorder`` (.json) over ``EvalLog`` / ``EvalSample`` dumped as ``to_json_safe`` does;
EvalPlus: ``codegen`` (samples.jsonl lines, ``<task_id>/<i>.py`` files), ``write_jsonl`` (HumanEval's
``completion`` format) and ``evaluate`` (``eval_results.json``). The EvalPlus statuses are what
boundary's code verifier (EvalPlus's tests, ``boundary.tasks.code``) gives these solutions.
The two ``inspect/inspect_tests/*.eval`` files are Inspect's own test logs (MIT licence), copied
unchanged from UKGovernmentBEIS/inspect_ai at commit 499e6152 (``tests/log/test_eval_log/
log_read_sample.eval``, ``tests/analysis/test_logs_choices/mmlu-summary-choices.eval``).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent


def sha(s: str) -> str:
    return hashlib.sha256(s.encode("utf-8")).hexdigest()


def sanitize_list(sub):                      # lm_eval.utils.sanitize_list
    if isinstance(sub, list):
        return [sanitize_list(x) for x in sub]
    if isinstance(sub, tuple):
        return tuple(sanitize_list(x) for x in sub)
    return str(sub)


def lm_eval_line(doc_id, doc, target, prompt, gen_kwargs, resps, filtered, flt, metrics, *, old=False):
    """One line as lm-eval writes it (old=True: before v0.4.7, without `filter` and `metrics`)."""
    sample = {"doc_id": doc_id, "doc": doc, "target": target, "arguments": [(prompt, gen_kwargs)],
              "resps": resps, "filtered_resps": filtered}
    if not old:
        sample["filter"] = flt
        sample["metrics"] = list(metrics)
    sample["doc_hash"] = sha(json.dumps(doc, indent=2, ensure_ascii=False))
    sample["prompt_hash"] = sha(prompt)
    sample["target_hash"] = sha(str(target))
    sample.update(metrics)
    # save_results_samples
    arguments = {}
    for i, arg in enumerate(sample["arguments"]):
        arguments[f"gen_args_{i}"] = {f"arg_{j}": tmp for j, tmp in enumerate(arg)}
    sample["resps"] = sanitize_list(sample["resps"])
    sample["filtered_resps"] = sanitize_list(sample["filtered_resps"])
    sample["arguments"] = arguments
    sample["target"] = str(sample["target"])
    return json.dumps(sample, ensure_ascii=False) + "\n"


GSM = [  # question, answer, response of run 1, response of run 2
    ("Janet’s ducks lay 16 eggs per day. She eats 3 and bakes with 4. She sells the rest at $2. How much?",
     "16 - 3 - 4 = <<16-3-4=9>>9\n9 * 2 = <<9*2=18>>18\n#### 18",
     " She sells 16 - 3 - 4 = 9 eggs, 9 * 2 = 18.\n#### 18", " 9 eggs at $2 is $18.\n#### 18"),
    ("A robe takes 2 bolts of blue fiber and half that much white fiber. How many bolts in total?",
     "2 / 2 = <<2/2=1>>1\n2 + 1 = <<2+1=3>>3\n#### 3",
     " Blue 2, white ½ of that = 1, total 3 bolts.\n#### 3", " 2 + 2 = 4 bolts.\n#### 4"),
    ("Josh buys a house for €80,000 and puts in €50,000 in repairs. Value rises 150%. Profit?",
     "80,000 + 50,000 = 130,000\n80,000 * 2.5 = 200,000\n200,000 - 130,000 = 70,000\n#### 70000",
     " Die Kosten: 130.000 €; Wert 200.000 €. Gewinn: 70,000 €.\n#### 70,000", " The profit is 70000 dollars."),
    ("James runs 3 sprints 3 times a week, 60 meters each. Meters a week?",
     "3 * 3 = 9\n9 * 60 = 540\n#### 540", " 3 × 3 × 60 = 540 meters.\n#### 540", " I am not sure."),
]


def gsm_prompt(q):
    return f"Question: {q}\nAnswer:"


def strict(resp):
    import re
    m = re.findall(r"#### (\-?[0-9\.\,]+)", resp)
    return m[0] if m else "[invalid]"


def flexible(resp):
    import re
    m = re.findall(r"(-?[$0-9.,]{2,})|(-?[0-9]+)", resp)
    if not m:
        return "[invalid]"
    g = m[-1]
    return g[0] or g[1]


def gsm_em(pred, answer):
    import re
    gold = answer.split("#### ")[-1]
    p = pred
    for r in (",", "\\$", "(?s).*#### ", "\\.$"):
        p, gold = re.sub(r, "", p), re.sub(r, "", gold)
    return 1.0 if p.lower() == gold.lower() else 0.0


def write_lm_eval() -> None:
    d = HERE / "lm_eval" / "Qwen__Qwen2.5-Math-1.5B"
    d.mkdir(parents=True, exist_ok=True)
    kw = {"until": ["Question:", "</s>", "<|im_end|>"], "do_sample": False, "temperature": 0.0}
    for run, date in ((2, "2024-11-05T10-21-33.420811"), (3, "2024-11-06T08-02-11.000917")):
        with open(d / f"samples_gsm8k_{date}.jsonl", "w", encoding="utf-8") as f:
            for name, filt in (("strict-match", strict), ("flexible-extract", flexible)):   # filters outer
                for i, (q, a, *resp) in enumerate(GSM):
                    r = resp[run - 2]
                    pred = filt(r)
                    doc = {"question": q, "answer": a}
                    f.write(lm_eval_line(i, doc, a, gsm_prompt(q), kw, [[r]], [pred], name,
                                         {"exact_match": gsm_em(pred, a)}))
    # aime24 with repeats: 4 (one request, four responses; exact_match grades the first, take_first)
    aime = [("60", "Every morning Aya goes for a 9-kilometer-long walk ...", [r"\boxed{204}", r"\boxed{204}",
             "The answer is 205.", r"$\boxed{204}$"], "204"),
            ("61", "Let ABC be a triangle inscribed in circle ω ...", [r"\boxed{113}", r"\boxed{\frac{113}{1}}",
             "no idea", r"\boxed{112}"], "113")]
    with open(d / "samples_aime24_2025-03-01T08-00-00.000001.jsonl", "w", encoding="utf-8") as f:
        for i, (pid, prob, resps, ans) in enumerate(aime):
            doc = {"ID": f"2024-II-{pid}", "Problem": prob, "Solution": "...", "Answer": int(ans)}
            f.write(lm_eval_line(i, doc, ans, f"Question: {prob}\nAnswer:", {**kw, "max_gen_toks": 32768},
                                 [resps], [resps[0]], "none",
                                 {"exact_match": int(resps[0].strip("$").replace(r"\boxed{", "").rstrip("}") == ans)}))
    # before lm-eval 0.4.7: no `filter`, no `metrics`; each document once per filter, filters outer
    old = HERE / "lm_eval" / "old-0.4.5"
    old.mkdir(parents=True, exist_ok=True)
    with open(old / "samples_gsm8k_2024-06-01T00-00-00.000000.jsonl", "w", encoding="utf-8") as f:
        for filt in (strict, flexible):
            for i, (q, a, r, _) in enumerate(GSM[:2]):
                pred = filt(r)
                f.write(lm_eval_line(i, {"question": q, "answer": a}, a, gsm_prompt(q), kw, [[r]], [pred], None,
                                     {"exact_match": gsm_em(pred, a)}, old=True))


def nemo_line(point, generation, *, predicted=None, symbolic=None, judgement=None, tokens=None, finish=None):
    """One line of output-rs<seed>.jsonl: the generation output, then the input point, then evaluation's keys."""
    out = {"generation": generation}
    if tokens is not None:
        out["num_generated_tokens"] = tokens
    if finish is not None:
        out["finish_reason"] = finish
    out.update({k: v for k, v in point.items() if k not in out})
    if predicted is not None or symbolic is not None:
        out["predicted_answer"] = predicted
        out["symbolic_correct"] = symbolic
    if judgement is not None:
        out["judgement"] = judgement
    return json.dumps(out) + "\n"           # generate.py: json.dumps(output), ensure_ascii on


NEMO = [  # problem, expected_answer, per seed: (generation, predicted_answer, symbolic_correct, judge says yes?)
    ({"problem": "What is $1+1$?", "expected_answer": "2", "subject": "Prealgebra", "level": 1, "id": "p0"},
     [("So $\\boxed{2}$.", "2", True, True), ("It is \\boxed{2}", "2", True, True),
      ("\\boxed{3}", "3", False, False)]),
    ({"problem": "Find $x$ with $2x = 1$ (½ of 1).", "expected_answer": "\\frac{1}{2}", "subject": "Algebra",
      "level": 2, "id": "p1"},
     [("x = \\boxed{0.5}", "0.5", True, True), ("I give up", None, False, False),
      ("x = \\boxed{1/2}", "1/2", True, True)]),
    ({"problem": "Compute $3 \\times 4$.", "expected_answer": "12", "subject": "Prealgebra", "level": 1, "id": "p2"},
     [("\\boxed{12} apples", "12", True, True), ("\\boxed{twelve}", "twelve", False, True),
      ("\\boxed{13}", "13", False, False)]),
]


def write_nemo_skills() -> None:
    d = HERE / "nemo_skills" / "eval-results" / "math-500"
    d.mkdir(parents=True, exist_ok=True)
    for seed in range(3):
        with open(d / f"output-rs{seed}.jsonl", "w", encoding="utf-8") as f:
            for point, gens in NEMO:
                g, pred, sym, yes = gens[seed]
                f.write(nemo_line(point, g, predicted=pred, symbolic=sym, tokens=len(g.split()),
                                  finish="stop" if seed else None,
                                  judgement=("Reasoning...\nJudgement: " + ("Yes" if yes else "No"))))
    # generation only (not evaluated yet): no predicted_answer, no symbolic_correct, no judgement
    d = HERE / "nemo_skills" / "generation-only" / "aime24"
    d.mkdir(parents=True, exist_ok=True)
    for seed in (0, 1):
        with open(d / f"output-rs{seed}.jsonl", "w", encoding="utf-8") as f:
            for point, gens in NEMO[:2]:
                f.write(nemo_line(point, gens[seed][0]))


# ------------------------------------------------------------------------------ Inspect AI
def drop_none(x):
    """pydantic's ``to_json(..., exclude_none=True)``: None fields are not written."""
    if isinstance(x, dict):
        return {k: drop_none(v) for k, v in x.items() if v is not None}
    if isinstance(x, list):
        return [drop_none(v) for v in x]
    return x


def to_json_safe(x, indent=2):
    """``inspect_ai._util.json.to_json_safe``: pydantic_core.to_json (UTF-8, not ASCII-escaped)."""
    if indent is None:
        return json.dumps(drop_none(x), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return json.dumps(drop_none(x), ensure_ascii=False, indent=indent).encode("utf-8")


def inspect_eval_spec(task, model, epochs, n_samples, version):
    return {"eval_id": "b0undaryEva1Id000000001", "run_id": "b0undaryRunId000000001", "created":
            "2026-05-01T10:00:00+00:00", "task": task, "task_id": "b0undaryTaskId00000001", "task_version": 0,
            "task_file": None, "task_registry_name": task, "task_attribs": {}, "task_args": {},
            "task_args_passed": {}, "dataset": {"name": task.rsplit("/", 1)[-1], "samples": n_samples,
                                                "sample_ids": list(range(1, n_samples + 1)), "shuffled": False},
            "model": model, "model_generate_config": {"temperature": 0.7}, "model_args": {},
            "config": {"epochs": epochs, "epochs_reducer": ["mean"], "fail_on_error": False, "log_samples": True},
            "packages": {"inspect_ai": version}, "scorers": None}


PLAN = {"name": "plan", "steps": [{"solver": "prompt_template", "params": {}}, {"solver": "generate", "params": {}}],
        "config": {}}


def inspect_sample(sid, epoch, inp, target, content, scores, *, completion=True, error=None, stop="stop",
                   model="gpt-4o-mini-2024-07-18", metadata=None):
    """An ``EvalSample`` as ``model_dump`` gives it (the fields a scored sample of a generate task has)."""
    if error is not None:
        output = {"model": model, "choices": []}
        if completion:
            output["completion"] = ""
    else:
        text = content if isinstance(content, str) else "\n".join(c["text"] for c in content if c["type"] == "text")
        output = {"model": model, "choices": [{"message": {"id": f"m{sid}e{epoch}", "content": content,
                                                           "source": "generate", "role": "assistant", "model": model},
                                               "stop_reason": stop}]}
        if completion:
            output["completion"] = text
        words = len(text.split())
        output["usage"] = {"input_tokens": 40, "output_tokens": words, "total_tokens": 40 + words}
    messages = ([{"id": f"u{sid}", "content": inp, "source": "input", "role": "user"}] if isinstance(inp, str)
                else list(inp))
    if error is None:
        messages.append(output["choices"][0]["message"])
    return {"id": sid, "epoch": epoch, "input": inp, "target": target, "messages": messages, "output": output,
            "scores": scores, "metadata": metadata or {}, "store": {}, "events": [], "model_usage": {},
            "total_time": 1.5, "working_time": 1.2, "uuid": f"uu{sid}e{epoch}",
            "error": error, "attachments": {}}


def score(value, answer=None, explanation=None):
    return {"value": value, "answer": answer, "explanation": explanation, "history": []}


def sort_samples(samples):                    # inspect_ai.log._log.sort_samples
    samples.sort(key=lambda s: (s["epoch"], s["id"] if isinstance(s["id"], str) else str(s["id"]).zfill(20)))


INSPECT_GSM = [  # id, question, target, per epoch: (answer text, match value, model_graded_fact value) or "error"
    (1, "Janet’s ducks lay 16 eggs per day. She eats 3 and bakes with 4. She sells the rest at $2. How much?", "18",
     [("She makes 9 × $2 = $18.\nANSWER: 18", "C", "C"), ("ANSWER: 18", "C", "C"), ("ANSWER: 16", "I", "I")]),
    (2, "A robe takes 2 bolts of blue fiber and half that much white fiber. How many bolts?", "3",
     [("ANSWER: 4", "I", "I"), ("Blue 2, white 1: three bolts.\nANSWER: three", "I", "C"), "error"]),
    ("café-3", "Un café coûte 2,50 €. Combien coûtent 4 cafés ?", "10",
     [("4 × 2,50 € = 10 €\nANSWER: 10", "C", "C"), ("ANSWER: 10.00", "C", "C"), ("ANSWER: 12", "I", "I")]),
]
INSPECT_ERROR = {"message": "RateLimitError('429 Too Many Requests')",
                 "traceback": "Traceback (most recent call last):\n  ...\nopenai.RateLimitError: 429\n",
                 "traceback_ansi": "Traceback (most recent call last):\n  ...\n"}


def write_inspect() -> None:
    d = HERE / "inspect"
    d.mkdir(parents=True, exist_ok=True)
    # .json log (JSONRecorder.write_log → eval_log_json → to_json_safe, indent=2): gsm8k, 3 epochs,
    # two scorers (match and model_graded_fact), one sample ended in an error (fail_on_error off)
    samples = []
    for sid, q, target, epochs in INSPECT_GSM:
        for e, got in enumerate(epochs, start=1):
            if got == "error":
                samples.append(inspect_sample(sid, e, q, target, None, None, error=INSPECT_ERROR))
                continue
            text, m, g = got
            ans = text.rsplit("ANSWER: ", 1)[-1]
            samples.append(inspect_sample(sid, e, q, target, text, {
                "match": score(m, ans), "model_graded_fact": score(g, text, f"The answer {ans} ... GRADE: {g}")},
                metadata={"source": "gsm8k-test"}))
    sort_samples(samples)
    spec = inspect_eval_spec("inspect_evals/gsm8k", "openai/gpt-4o-mini", 3, 3, "0.3.260")
    log = {"version": 2, "status": "success", "eval": spec, "plan": PLAN,
           "results": {"total_samples": 9, "completed_samples": 8,
                       "scores": [{"name": n, "scorer": n, "params": {}, "metrics": {}}
                                  for n in ("match", "model_graded_fact")]},
           "stats": {"started_at": "2026-05-01T10:00:00+00:00", "completed_at": "2026-05-01T10:02:00+00:00",
                     "model_usage": {}},
           "samples": samples, "reductions": None}
    (d / "2026-05-01T10-00-00+00-00_gsm8k_b0undaryTaskId00000001.json").write_bytes(to_json_safe(log))

    # .eval logs (EvalRecorder: ZipLogFile writes _journal/start.json, then each sample as it finishes
    # with a journal summary per flush, then summaries.json, reductions.json, header.json; indent=None)
    math = [  # id, input (chat messages), target (list), per epoch: (content, value)
        (1, [{"id": "s1", "content": "Answer with a boxed number.", "source": "input", "role": "system"},
             {"id": "u1", "content": "What is $\\frac{1}{2} + \\frac{1}{4}$?", "source": "input", "role": "user"}],
         ["\\frac{3}{4}", "0.75"],
         [([{"type": "reasoning", "reasoning": "1/2 = 2/4, so 3/4.", "redacted": False},
            {"type": "text", "text": "$\\boxed{\\frac{3}{4}}$"}], True), ("$\\boxed{0.75}$", True)]),
        (2, [{"id": "u2", "content": "Solve $x^2 = 9$ for $x > 0$. ∴ x = ?", "source": "input", "role": "user"}],
         ["3"], [("$\\boxed{-3}$", False), ("x = \\boxed{3}", 1.0)]),
    ]

    def math_sample(sid, e, completion):
        inp, target, epochs = next((m[1], m[2], m[3]) for m in math if m[0] == sid)
        content, value = epochs[e - 1]
        return inspect_sample(sid, e, inp, target, content, {"exact": score(value)}, completion=completion,
                              model="claude-3-5-haiku-20241022")

    def write_eval(path, *, compression, version, finished, order, relogged=(), completion=True):
        """Members stamped with the write time, as ZipLogFile's writestr does: a rewrite differs in those bytes."""
        import zipfile
        kw = {"compression": compression, "compresslevel": 5 if compression == zipfile.ZIP_DEFLATED else None}
        spec = inspect_eval_spec("math", "anthropic/claude-3-5-haiku", 2, 2, version)
        with zipfile.ZipFile(path, "w", **kw) as z:
            z.writestr("_journal/start.json", to_json_safe({"version": 2, "eval": spec, "plan": PLAN}, indent=None))
            for i, (sid, e) in enumerate(order, start=1):
                first = math_sample(sid, e, completion)
                if (sid, e) in relogged:    # its first attempt failed (a requeued sample is logged again)
                    first = inspect_sample(sid, e, first["input"], first["target"], None, None, error=INSPECT_ERROR,
                                           completion=completion)
                z.writestr(f"samples/{sid}_epoch_{e}.json", to_json_safe(first, indent=None))
                z.writestr(f"_journal/summaries/{i}.json", to_json_safe([{"id": sid, "epoch": e}], indent=None))
            for sid, e in relogged:         # the requeued sample's fresh record supersedes the first
                z.writestr(f"samples/{sid}_epoch_{e}.json", to_json_safe(math_sample(sid, e, completion), indent=None))
            if finished:
                z.writestr("summaries.json", to_json_safe([{"id": s, "epoch": e} for s, e in order], indent=None))
                z.writestr("reductions.json", to_json_safe([], indent=None))
                header = {"version": 2, "status": "success", "eval": spec, "plan": PLAN,
                          "results": {"total_samples": len(order), "completed_samples": len(order), "scores": [
                              {"name": "exact", "scorer": "exact", "params": {}, "metrics": {}}]},
                          "stats": {"started_at": "2026-05-02T09:00:00+00:00", "model_usage": {}}}
                z.writestr("header.json", to_json_safe(header, indent=None))

    import warnings
    warnings.filterwarnings("ignore", message="Duplicate name:", category=UserWarning)   # as ZipLogFile does
    try:                                     # Inspect ≥ 0.3.206: zstd members (zipfile_zstd on Python < 3.14)
        import zipfile_zstd  # noqa: F401
        import zipfile
        write_eval(d / "2026-05-02T09-00-00+00-00_math_zstd.eval", compression=zipfile.ZIP_ZSTANDARD,
                   version="0.3.260", finished=True, order=[(2, 1), (1, 1), (1, 2), (2, 2)], relogged=[(1, 2)])
    except ImportError:
        print("zipfile_zstd is not installed: the zstd .eval fixture is left as it is")
    import zipfile
    import warnings
    warnings.filterwarnings("ignore", message="Duplicate name:", category=UserWarning)   # as ZipLogFile does
    # Inspect ≤ 0.3.205: deflate (level 5), no `completion` in ModelOutput; killed after three samples
    write_eval(d / "2025-03-01T09-00-00+00-00_math_killed.eval", compression=zipfile.ZIP_DEFLATED,
               version="0.3.120", finished=False, order=[(1, 1), (2, 1), (1, 2)], completion=False)


# ------------------------------------------------------------------------------ EvalPlus
HE_PROMPT_TAIL = {}                           # task_id -> the release's prompt (the solution's head)


def evalplus_prompt(task_id):
    import gzip
    if not HE_PROMPT_TAIL:
        for f in ("HumanEvalPlus-v0.1.10.jsonl.gz", "MbppPlus-v0.2.0.jsonl.gz"):
            with gzip.open(HERE.parent / "code" / f, "rt", encoding="utf-8") as fh:
                for line in fh:
                    r = json.loads(line)
                    HE_PROMPT_TAIL[r["task_id"]] = (r["prompt"], r["base_input"], r["plus_input"])
    return HE_PROMPT_TAIL[task_id]


EVALPLUS_HE = [  # task_id, [(body after the prompt, base_status, plus_status)] in codegen's order
    ("HumanEval/0", [
        ("    sorted_numbers = sorted(numbers)\n    for i in range(len(sorted_numbers) - 1):\n"
         "        if sorted_numbers[i + 1] - sorted_numbers[i] < threshold:\n            return True\n"
         "    return False\n", "pass", "pass"),
        ("    return any(abs(a - b) < threshold for a, b in zip(numbers, numbers[1:]))\n", "fail", "fail"),
        ("    return True  # « toujours vrai » ≈ always\n", "fail", "fail")]),
    ("HumanEval/2", [
        ("    return number % 1.0\n", "pass", "pass"),
        ("    return round(number - int(number), 2)\n", "fail", "fail"),
        ("    return number -\n", "fail", "fail")]),
    ("HumanEval/12", [
        ("    return max(strings, key=len) if strings else None\n", "pass", "pass"),
        ("    return max(strings, key=len)\n", "fail", "fail"),
        ("    if not strings:\n        return None\n    return sorted(strings, key=len)[-1]\n", "fail", "fail")]),
]
EVALPLUS_MBPP = [  # task_id, [(solution, base_status, plus_status)] by file number; listdir order below
    ("Mbpp/2", [("def similar_elements(test_tup1, test_tup2):\n  return tuple(set(test_tup1) & set(test_tup2))\n",
                 "pass", "pass"),
                ("def similar_elements(a, b):\n    return [x for x in a if x in b]\n", "pass", "pass"),
                ("def similar_elements(a, b):\n    return ()\n", "fail", "fail")]),
    ("Mbpp/3", [("import math\ndef is_not_prime(n):\n    if n == 1:\n        return True\n"
                 "    for i in range(2, int(math.sqrt(n))+1):\n        if n % i == 0:\n            return True\n"
                 "    return False\n", "pass", "pass"),
                ("def is_not_prime(n):\n    if n == 1:\n        return True\n"
                 "    return any(n % i == 0 for i in range(2, min(n, 12)))\n", "pass", "fail"),   # 7921 = 89²
                ("def is_not_prime(n):\n    return n % 2 == 0\n", "fail", "fail")]),
]


def evalplus_entry(task_id, solution, base, plus, *, base_only=False):
    """One entry of ``results["eval"][task_id]`` (evaluate, test_details off: the last failing input)."""
    _, base_in, plus_in = evalplus_prompt(task_id)
    return {"task_id": task_id, "solution": solution, "base_status": base,
            "plus_status": None if base_only else plus,
            "base_fail_tests": [] if base == "pass" else [base_in[-1]],
            "plus_fail_tests": [] if base_only or plus == "pass" else [plus_in[-1]]}


def write_evalplus() -> None:
    # codegen(target_path=evalplus_results/humaneval/<identifier>.jsonl): prompt.strip() + "\n" + the
    # model's output (a direct-completion model), sanitized, one json.dumps line per sample, appended
    d = HERE / "evalplus" / "humaneval"
    d.mkdir(parents=True, exist_ok=True)
    ident = "Qwen--Qwen2.5-Coder-1.5B_vllm_temp_0.8"
    results = {"date": "2026-05-03 11:00", "hash": "b2f7f3a8c7e1d1f0c9a9f7b5d4c3b2a1", "eval": {}}
    with open(d / f"{ident}.jsonl", "w") as f:
        for tid, sols in EVALPLUS_HE:
            prompt = evalplus_prompt(tid)[0].strip() + "\n"
            results["eval"][tid] = []
            for body, base, plus in sols:
                f.write(json.dumps({"task_id": tid, "solution": prompt + body}) + "\n")
                results["eval"][tid].append(evalplus_entry(tid, prompt + body, base, plus))
    results["pass_at_k"] = {"base": {"pass@1": 1 / 3}, "plus": {"pass@1": 1 / 3}}
    with open(d / f"{ident}.eval_results.json", "w") as f:
        json.dump(results, f)
    # HumanEval's own format (write_jsonl: `completion`, the prompt not included), evaluated with
    # --base-only before v0.3 (legacy name <name>_eval_results.json): evaluate ran prompt + completion
    results = {"date": "2024-06-01 09:00", "hash": "b2f7f3a8c7e1d1f0c9a9f7b5d4c3b2a1", "eval": {}}
    with open(d / "completions.jsonl", "wb") as f:
        for tid, sols in EVALPLUS_HE[1:2]:
            results["eval"][tid] = []
            for body, base, plus in sols[:2]:
                f.write((json.dumps({"task_id": tid, "completion": body}) + "\n").encode("utf-8"))
                results["eval"][tid].append(evalplus_entry(tid, evalplus_prompt(tid)[0] + body, base, plus,
                                                           base_only=True))
    with open(d / "completions_eval_results.json", "w") as f:
        json.dump(results, f)
    # codegen(target_path=<dir>): <dir>/<task_id with / → _>/<i>.py; evaluate's completion ids follow
    # os.listdir, so eval_results.json lists each task's samples in listdir order (here: 2, 0, 1)
    d = HERE / "evalplus" / "mbpp" / "deepseek-ai--deepseek-coder-1.3b-instruct_openai_temp_0.0"
    results = {"date": "2026-05-03 12:00", "hash": "0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f", "eval": {}}
    for tid, sols in EVALPLUS_MBPP:
        t = d / tid.replace("/", "_")
        t.mkdir(parents=True, exist_ok=True)
        for i, (sol, _, _) in enumerate(sols):
            (t / f"{i}.py").write_text(sol, encoding="utf-8")
        listdir = sorted(range(len(sols)), key=lambda i: (i + 2) % len(sols))
        results["eval"][tid] = [evalplus_entry(tid, sols[i][0], sols[i][1], sols[i][2]) for i in listdir]
    with open(d / "eval_results.json", "w") as f:
        json.dump(results, f)


if __name__ == "__main__":
    write_lm_eval()
    write_nemo_skills()
    write_inspect()
    write_evalplus()
