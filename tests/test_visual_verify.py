"""The visual kind's verifier: reference/visual.md §5 as parametrised cases, multiple choice up to 8
options, lists, units, MathVision references, the grading modes, and undecided verdicts."""

from __future__ import annotations

import pytest

from boundary.tasks import Problem, VerifyItem, get_kind
from boundary.tasks.visual import repair_reference
from boundary.verify.visual import MODES, VisualVerifier, VisualVerifyConfig, choice_letter, split_list

DEG = ["135°", "140°", "145°", "150°"]
EIGHT = ["a", "b", "c", "d", "e", "f", "g", "h"]


@pytest.fixture(scope="module")
def verifiers():
    vs = {m: VisualVerifier(VisualVerifyConfig(mode=m, workers=1)) for m in MODES}
    yield vs
    for v in vs.values():
        v.close()


def problem(reference: str, **meta) -> Problem:
    return Problem("mathvista", "p", "q", reference, {"kind": "visual", **meta})


def grade(v: VisualVerifier, response: str, reference: str, finish_reason: str | None = None, **meta):
    return v.verify_batch([VerifyItem(response, problem(reference, **meta), finish_reason)])[0]


def box(s: str) -> str:
    return f"<think>reasoning</think> so the answer is $\\boxed{{{s}}}$"


# reference/visual.md §5: (response's final answer, reference, metadata, paper, mathvista, mathvision)
TABLE = [
    ("C", "C", {"choices": DEG}, "correct", "correct", "correct"),
    ("145°", "C", {"choices": DEG}, "correct", "correct", "correct"),
    ("(C) 145°", "C", {"choices": DEG}, "correct", "correct", "correct"),
    ("g", "G", {"choices": EIGHT}, "correct", "correct", "correct"),
    ("1.23", "1.2", {"answer_type": "float", "precision": 1}, "wrong", "correct", "wrong"),
    ("51.0", "51.04", {"answer_type": "float", "precision": 2}, "wrong", "wrong", "wrong"),
    ("[2014, 2016]", "[2014, 2016]", {"answer_type": "list"}, "correct", "correct", "correct"),
    ("2014, 2016", "[2014, 2016]", {"answer_type": "list"}, "correct", "correct", "correct"),
    ("1000 g", "1000", {"answer_type": "integer", "unit": "g"}, "correct", "correct", "correct"),
    ("29 years", "29", {"answer_type": "integer", "unit": "years"}, "correct", "correct", "correct"),
    ("\\frac{1}{3}", "$\\frac{1}{3}$", {"answer_type": "expression"}, "correct", "correct", "correct"),
    ("0.3333", "$\\frac{1}{3}$", {"answer_type": "expression"}, "wrong", "wrong", "correct"),
    ("B", "B", {"choices": list("ABCDE"), "choices_in_image": True}, "correct", "correct", "correct"),
]


@pytest.mark.parametrize("answer, reference, meta, paper, mathvista, mathvision", TABLE,
                         ids=[f"{a}|{r}" for a, r, *_ in TABLE])
def test_reference_table(verifiers, answer, reference, meta, paper, mathvista, mathvision):
    expected = (paper, mathvista, mathvision)
    ref = reference if meta.get("choices") or meta.get("answer_type") == "list" else repair_reference(reference)[0]
    for mode, want in zip(MODES, expected):
        v = grade(verifiers[mode], box(answer), ref, **meta)
        assert v.status == want, (mode, v)


def test_answer_tag_and_letter(verifiers):
    v = grade(verifiers["paper"], "<think>…</think> <answer>B</answer>", "B", choices=list("ABCDE"))
    assert v.status == "correct" and v.extracted == "B"


@pytest.mark.parametrize("written", ["B", "(B)", "B.", "B) 140°", "(b)", "\\text{B}", "\\textbf{(B)}", "Option B",
                                     "140°", "140", "$140^\\circ$", "**B**"])
def test_ways_to_name_an_option(verifiers, written):
    assert grade(verifiers["paper"], box(written), "B", choices=DEG).status == "correct"


@pytest.mark.parametrize("m", range(2, 9))
def test_up_to_eight_options(verifiers, m):
    choices = ["12", "15", "18", "21", "24", "27", "30", "33"][:m]
    last, text = "ABCDEFGH"[m - 1], choices[-1]
    v = verifiers["paper"]
    assert grade(v, box(last), last, choices=choices).status == "correct"
    assert grade(v, box(text), last, choices=choices).status == "correct"
    assert grade(v, box(f"({last}) {text}"), last, choices=choices).status == "correct"
    assert grade(v, box("A"), last, choices=choices).status == "wrong"
    assert grade(v, box(choices[0]), last, choices=choices).status == "wrong"


def test_letter_beyond_the_options_is_wrong(verifiers):
    v = grade(verifiers["paper"], box("F"), "B", choices=DEG)
    assert v.status == "wrong" and "does not exist" in v.detail


def test_option_text_equivalent_through_the_math_verifier(verifiers):
    assert grade(verifiers["paper"], box("\\frac{1}{2}"), "B", choices=["0.25", "0.5", "0.75"]).status == "correct"
    choices = ["\\sqrt{2}", "2\\sqrt{2}", "3"]
    v = grade(verifiers["paper"], box("\\sqrt{8}"), "B", choices=choices)
    assert v.status == "correct" and v.path.startswith("choice-text")
    v = grade(verifiers["paper"], box("\\sqrt{7}"), "B", choices=choices)
    assert v.status == "wrong" and v.path == "choice-text"


def test_options_in_the_image_leave_other_answers_undecided(verifiers):
    """MathVision letters-only options: the option texts are drawn in the image, so "12" cannot be checked."""
    v = grade(verifiers["paper"], box("12"), "C", choices=list("ABCDE"), choices_in_image=True)
    assert v.status == "error" and v.path == "undecided" and not v.decided
    assert grade(verifiers["paper"], box("C"), "C", choices=list("ABCDE"), choices_in_image=True).status == "correct"
    assert grade(verifiers["paper"], box("D"), "C", choices=list("ABCDE"), choices_in_image=True).status == "wrong"


def test_non_english_options(verifiers):
    choices = ["是", "否"]
    assert grade(verifiers["paper"], box("是"), "A", choices=choices).status == "correct"
    assert grade(verifiers["paper"], box("否"), "A", choices=choices).status == "wrong"


@pytest.mark.parametrize("written, status", [
    ("[0, 2, 0, 2, 1, 7]", "correct"), ("0, 2, 0, 2, 1, 7", "correct"), ("(0, 2, 0, 2, 1, 7)", "correct"),
    ("\\left[0,2,0,2,1,7\\right]", "correct"), ("[0, 2, 0, 2, 7, 1]", "wrong"), ("[0, 2, 0, 2, 1]", "wrong"),
    ("[0, 2.0, 0, 2, 1, 7]", "correct"), ("seven", "wrong"),
])
def test_lists(verifiers, written, status):
    assert grade(verifiers["paper"], box(written), "[0, 2, 0, 2, 1, 7]", answer_type="list").status == status


def test_precision_mode_only_rounds_floats_with_a_precision(verifiers):
    mv = verifiers["mathvista"]
    assert grade(mv, box("0.571"), "0.57", answer_type="float", precision=2).status == "correct"
    assert grade(mv, box("0.58"), "0.57", answer_type="float", precision=2).status == "wrong"
    assert grade(mv, box("1.25 m"), "1.2", answer_type="float", precision=1, unit="m").status == "correct"
    assert grade(mv, box("1.9"), "1", answer_type="integer").status == "wrong"      # no truncation
    assert grade(mv, box("1.23"), "1.2", answer_type="float").status == "wrong"     # no precision given
    v = grade(mv, box("1.23"), "1.2", answer_type="float", precision=1)
    assert v.path == "precision" and "MathVista" in v.detail


def test_mathvision_escape_defect_reference(verifiers):
    ref, note = repair_reference("\x0crac{36}{13}")
    assert ref == "\\frac{36}{13}" and note
    for mode in MODES:
        assert grade(verifiers[mode], box("\\frac{36}{13}"), ref).status == "correct"
        assert grade(verifiers[mode], box("\\frac{36}{14}"), ref).status == "wrong"
    assert grade(verifiers["mathvision"], box("2.77"), ref).status == "correct"     # 36/13 = 2.769...
    assert grade(verifiers["paper"], box("(3,-4)"), "(3,-4)").status == "correct"


def test_no_answer_and_truncated(verifiers):
    assert grade(verifiers["paper"], "I think it is 7", "7").status == "no_answer"
    v = grade(verifiers["paper"], box("7"), "7", finish_reason="length")
    assert v.status == "truncated" and v.extracted == "7"


def test_mode_is_in_the_recorded_name(verifiers):
    assert verifiers["paper"].name.startswith("visual[mode=paper];boundary-visual/1;boundary-math/1")
    assert verifiers["mathvista"].name.startswith("visual[mode=mathvista];")
    assert len({v.name for v in verifiers.values()}) == 3
    with pytest.raises(ValueError, match="mode"):
        VisualVerifyConfig(mode="official")


def test_kind_builds_the_verifier_from_its_config():
    v = get_kind("visual").verifier(VisualVerifyConfig(mode="mathvision", workers=1))
    try:
        assert v.name.startswith("visual[mode=mathvision]")
        assert get_kind("visual").verifier(None).name.startswith("visual[mode=paper]")
    finally:
        v.close()


def test_batch_keeps_order_and_mixes_paths(verifiers):
    items = [VerifyItem(box("C"), problem("C", choices=DEG)),
             VerifyItem(box("8"), problem("7", answer_type="integer")),
             VerifyItem(box("2014, 2016"), problem("[2014, 2016]", answer_type="list")),
             VerifyItem("nothing", problem("7")),
             VerifyItem(box("7"), problem("7", answer_type="integer"))]
    assert [v.status for v in verifiers["paper"].verify_batch(items)] == \
        ["correct", "wrong", "correct", "no_answer", "correct"]


def test_helpers():
    assert choice_letter("  $\\text{(D)}$ ", DEG) == "D"
    assert choice_letter("A triangle", DEG) is None
    assert split_list("1 and 2") == ["1", "2"]
    assert split_list("[1, , 2]") is None


def test_spec_verify_block_chooses_the_mode():
    from boundary.errors import InputError
    from boundary.spec import VerifySpec, parse_block
    block = parse_block(VerifySpec, {"visual": {"mode": "mathvista", "timeout_s": 2}}, where="spec", prefix="verify")
    assert block.visual.to_config() == VisualVerifyConfig(mode="mathvista", timeout_s=2)
    assert parse_block(VerifySpec, {}, where="spec", prefix="verify").visual.to_config().mode == "paper"
    with pytest.raises(InputError, match="visual.mode"):
        parse_block(VerifySpec, {"visual": {"mode": "official"}}, where="spec", prefix="verify")
