"""Write the importer fixtures of tests/test_importers.py (run once; the files are committed).

Each writer is reproduced from the source read (docs/import.md names file and version):
lm-eval: ``EvaluationTracker.save_results_samples`` over the per-document dict of ``evaluate``.
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


if __name__ == "__main__":
    write_lm_eval()
    write_nemo_skills()
