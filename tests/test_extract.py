"""Final-answer extraction: each prompt template's answer format, priorities, and linear time."""

import pytest

from boundary.verify.extract import Extraction, extract_answer


# --- the answer format each prompt template asks for -----------------------------------------

def test_qwen_boxed_template_answer():
    text = ("To find the distance we add the two legs.\n\n"
            "$$d = 18 + 9 = 27$$\n\nSo they meet $\\boxed{27}$ miles from City $A$.")
    assert extract_answer(text) == Extraction("27", "boxed")


def test_qwen25_math_cot_template_answer():
    text = ("Let's solve step by step.\n\\[\n\\frac{9}{s} + t = 4\n\\]\n...\n"
            "Therefore, the walk takes \\(\\boxed{204}\\) minutes.")
    assert extract_answer(text) == Extraction("204", "boxed")


def test_abel_dapo_template_answer_line():
    text = ("Step 1: ...\nStep 2: so the area is $\\frac{3}{4}$ of the square.\n\n"
            "Answer: $\\frac{3}{4}$")
    assert extract_answer(text) == Extraction("\\frac{3}{4}", "answer_line")


def test_r1_zero_template_answer_tag():
    text = ("<think> The roots are 2 and 3, so their product is 6. </think> "
            "<answer> 6 </answer>")
    assert extract_answer(text) == Extraction("6", "answer_tag")


# --- boxes ----------------------------------------------------------------------------------

@pytest.mark.parametrize("text, answer", [
    ("so $x = \\boxed{\\frac{1}{2}}$.", "\\frac{1}{2}"),
    ("\\boxed{\\left( 3, \\frac{\\pi}{2} \\right)}", "\\left( 3, \\frac{\\pi}{2} \\right)"),
    ("\\boxed{\\{1, 2\\}}", "\\{1, 2\\}"),
    ("\\boxed {5}", "5"),
    ("The answer is $\\boxed 5$.", "5"),
    ("\\boxed{a^{2^{3}}+{b}}", "a^{2^{3}}+{b}"),
])
def test_box_content_with_nested_braces(text, answer):
    assert extract_answer(text).answer == answer


def test_last_box_wins():
    text = "First $\\boxed{12}$ was wrong.\nRechecking, the answer is \\boxed{13}."
    assert extract_answer(text).answer == "13"


def test_fbox():
    assert extract_answer("hence \\fbox{42}") == Extraction("42", "fbox")


def test_empty_last_box_is_no_answer():
    assert extract_answer("we get \\boxed{7} ... final: \\boxed{}") == Extraction(None, None)


def test_boxes_chained_at_the_end_are_joined():
    assert extract_answer("The solutions are $\\boxed{2}$ and $\\boxed{3}$.").answer == "2, 3"


def test_assignment_boxes_chained_are_joined():
    assert extract_answer("So $x = \\boxed{2}$, $y = \\boxed{3}$").answer == "2, 3"


def test_identical_chained_boxes_collapse():
    assert extract_answer("\\boxed{5} \\boxed{5}").answer == "5"


def test_boxes_on_separate_parts_are_not_joined():
    text = "(a) The area is \\boxed{12}.\n\n(b) The perimeter is \\boxed{14}."
    assert extract_answer(text).answer == "14"


def test_unbalanced_last_box_falls_back_to_previous_box():
    assert extract_answer("\\boxed{8} then \\boxed{9").answer == "8"


def test_box_command_prefix_is_not_a_box():
    assert extract_answer("\\boxedsep{3}") == Extraction(None, None)


# --- answer tags, Answer: lines, "the answer is" ---------------------------------------------

def test_answer_tag_containing_a_box_gives_the_box():
    assert extract_answer("<answer>\\boxed{6}</answer>").answer == "6"


def test_answer_tag_after_a_box_in_think_wins():
    text = "<think>maybe \\boxed{4}? no.</think><answer>5</answer>"
    assert extract_answer(text) == Extraction("5", "answer_tag")


def test_box_after_answer_tag_wins():
    text = "<answer>5</answer> Actually \\boxed{6}"
    assert extract_answer(text).answer == "6"


@pytest.mark.parametrize("text, answer", [
    ("work...\nAnswer: $42$", "42"),
    ("work...\n**Answer:** 42", "42"),
    ("work...\n**Final Answer:** $\\frac{1}{2}$.", "\\frac{1}{2}"),
    ("Final Answer: The final answer is $42$. I hope it is correct.", "42"),
    ("work...\nAnswer:\n$7$", "7"),
    ("answer: 3\n...\nAnswer: 4\nThanks.", "4"),
])
def test_answer_line_forms(text, answer):
    assert extract_answer(text) == Extraction(answer, "answer_line")


def test_answer_word_inside_a_sentence_is_not_an_answer_line():
    assert extract_answer("I will write my answer: carefully now") == Extraction(None, None)


@pytest.mark.parametrize("text, answer", [
    ("So the answer is $\\frac{1}{2}$. Done.", "\\frac{1}{2}"),
    ("The final answer is 3.5.", "3.5"),
    ("Therefore the answer is: 12\nmore text", "12"),
    ("Thus, the answer is $x = 4$", "x = 4"),
    ("Hence the correct answer is (B).", "(B)"),
])
def test_the_answer_is(text, answer):
    assert extract_answer(text) == Extraction(answer, "the_answer_is")


def test_priority_box_over_answer_line():
    assert extract_answer("\\boxed{1}\nAnswer: 2").answer == "1"


def test_priority_answer_line_over_the_answer_is():
    assert extract_answer("the answer is 3\nAnswer: 4").answer == "4"


# --- answers outside any marker: #### 42, a concluding sentence, one math span ---------------

@pytest.mark.parametrize("text, answer", [
    ("2+40=42\n#### 42\n and the reasoning above confirms it.", "42"),
    ("40+2=42\n#### 42\nWait: 40+3=43.\n#### 43", "43"),
    ("#### $1,234.", "1,234"),
])
def test_gsm8k_answer_line(text, answer):
    assert extract_answer(text) == Extraction(answer, "gsm8k")


@pytest.mark.parametrize("text", [
    "#### Step 2: the total\nShe has 12 more.\n#### 3. Add them\nWe add.",   # markdown headings
    "The printed code is a####42 on the label.",                               # inside a word
    "Natalia sold 48 clips.\n####",                                            # marker with no number
])
def test_gsm8k_marker_that_is_not_an_answer(text):
    assert extract_answer(text) == Extraction(None, None)


@pytest.mark.parametrize("text, answer", [
    ("Therefore, there are 12 distinct sequences that meet the three given conditions.", "12"),
    ("P(A) = (1/2) * (4/3) P(A) = 2/3 Therefore, the probability that Alice wins is 2/3.", "2/3"),
    ("Therefore, the error increases by 100%.", "100%"),
    ("Thus, the solution in interval notation is: $x \\in [-2,7]$", "x \\in [-2,7]"),
    ("The pair is ${1,3}$.", "{1,3}"),
    ("So the volume is $120$. I hope it is correct.", "120"),
])
def test_concluding_sentence(text, answer):
    assert extract_answer(text) == Extraction(answer, "final_sentence")


@pytest.mark.parametrize("text", [
    "Janet has 16 eggs and eats 3. How many are left for the 4 muffins?",
    "Janet has 16 eggs. She eats 3. The rest are sold at the market.",     # last sentence states nothing
    "Therefore, 3 of the 5 marbles are red.",                               # two values
    "Therefore, the total cannot be 12.",                                   # negated
    "Thus, if the speed is 40, we still need the time.",                    # hypothetical
    "Therefore, we need 3 more steps to finish.",                           # not what the sentence states
    "Therefore, the total is 12. Next we divide it among the boxes.",      # not the last sentence
    "So is the total 12?",                                                  # a question
    "I think it is 7",                                                      # a guess, not a conclusion
    "Therefore, the total is probably 12.",
    "So the answer seems to be 5.",
    "Compute: $55\\times1212-15\\times1212$.",                              # the task restated
    "The problem asks for $3 + 4$.",
    "$55\\times1212-15\\times1212$",
])
def test_a_number_in_prose_is_not_an_answer(text):
    assert extract_answer(text) == Extraction(None, None)


@pytest.mark.parametrize("text, answer", [
    ("$E$", "E"),
    ("$\\left( \\frac{1}{3} \\right)$", "\\left( \\frac{1}{3} \\right)"),
    ("Answer \\[ 9 \\]", "9"),
])
def test_response_that_is_one_math_span(text, answer):
    assert extract_answer(text) == Extraction(answer, "bare_math")


@pytest.mark.parametrize("text, answer", [
    ("The volume is $5 \\times 6 \\times 4 = 120$. Final Answer: The volume of $ABCDEFGH$ is 120. "
     "I hope it is correct.", "120"),                                        # mid-line, one value
    ("Final Answer: The largest $n$ is 34.", "34"),
    ("Thus it is **73**.\n\n---\n\n\u2705 Final Answer: **73**", "73"),      # emoji before the marker
    ("x is $28\\%$. Final Answer: The final answer is $28\\%$. I hope it is correct. Note: more text",
     "28\\%"),
])
def test_final_answer_sentence(text, answer):
    assert extract_answer(text) == Extraction(answer, "answer_line")


def test_final_answer_sentence_with_two_values_is_kept_whole():
    assert extract_answer("Final Answer: Jane is 3 hours ahead of Rod, who started 5 hours earlier.").answer \
        == "Jane is 3 hours ahead of Rod, who started 5 hours earlier"


def test_final_answer_line_after_intermediate_boxes_wins():
    text = "$0.05 \\cdot 10200 = \\boxed{255}$ So she has $10,455. Final Answer: The final answer is $10,455$."
    assert extract_answer(text) == Extraction("10,455", "answer_line")
    # a Final Answer line that states no value leaves the box; a box inside the line is the answer
    assert extract_answer("So $\\boxed{7}$.\nFinal Answer: The total after a year is as above.").answer == "7"
    assert extract_answer("x = 3.\nFinal Answer: The final answer is $\\boxed{4}$.").answer == "4"
    # words in the final line (a unit, a number word): the box stays the answer
    assert extract_answer("so \\boxed{5}.\nFinal Answer: 5 apples").answer == "5"
    assert extract_answer("so \\boxed{5}.\nFinal Answer: five").answer == "5"


def test_text_after_a_chat_turn_marker_is_not_the_response():
    text = ("We find $b = \\boxed{\\frac{5}{3}}$. <|im_start|>user Solve $2^{4x} = 2^{32}$. "
            "<|im_start|>assistant We find $x = \\boxed{8}$.")
    assert extract_answer(text).answer == "\\frac{5}{3}"
    assert extract_answer("<|im_start|>assistant \\boxed{8}").answer == "8"   # a marker at the start stays


@pytest.mark.parametrize("text", ["so the final answer is $\\boxed{", "The answer is (",
                                  "so the final answer is $\\boxed{5", "Answer: $\\boxed{"])
def test_marked_answer_that_was_cut_off_is_no_answer(text):
    assert extract_answer(text) == Extraction(None, None)


# --- last-number fallback (opt-in) ----------------------------------------------------------

def test_no_answer_by_default_even_with_numbers():
    text = "Janet has 16 eggs and eats 3. How many are left for the 4 muffins?"
    assert extract_answer(text) == Extraction(None, None)


def test_last_number_fallback_when_enabled():
    assert extract_answer("she has 16 eggs, 9 left and 18 dollars.",
                          last_number_fallback=True) == Extraction("18", "last_number")


def test_last_number_fallback_keeps_decimals_and_sign():
    assert extract_answer("x is -2.5.", last_number_fallback=True).answer == "-2.5"


def test_empty_text():
    assert extract_answer("") == Extraction(None, None)


# --- pathological inputs: must return (no timing assertion, just finish) ----------------------

@pytest.mark.parametrize("text", [
    "\\boxed{" * 50000,
    "x" * 1_000_000 + "\\boxed{1}",
    "answer " * 200_000,
    "the answer is . " * 100_000,
    "{" * 1_000_000,
    "}" * 1_000_000 + "\\boxed{3}",
    "\\boxed{" + "{" * 100_000 + "}" * 100_000 + "}",
    "Answer:" * 100_000,
    "#### " * 200_000,
    "####\n" * 200_000,
    "Therefore, the total is 1" + " 2" * 500_000,
    "$" * 1_000_000,
    ". Final Answer:" * 100_000,
    "\\boxed{1}" + " Final Answer: 2." * 100_000,
    "\u2705" * 1_000_000 + "answer: 3",
    "<|im_start|>" * 100_000,
    ". " * 500_000 + "x",
    "Thus it is " + "\\(" * 500_000,
])
def test_pathological_inputs_finish(text):
    result = extract_answer(text, last_number_fallback=True)
    assert isinstance(result, Extraction)


def test_megabyte_response_with_box_at_end():
    assert extract_answer("a" * 1_000_000 + "\\boxed{17}").answer == "17"
