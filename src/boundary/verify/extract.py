"""Find the final answer in a model response.

Methods, in priority order:

1. ``boxed``/``fbox`` -- the last ``\\boxed{...}`` (also ``\\boxed {...}``, ``\\boxed 5``) or
   ``\\fbox{...}``, nested braces matched. If the last box is empty (``\\boxed{}``) the response
   has no answer (we do not fall back to an earlier box: that would grade an intermediate result).
   Several boxes chained at the very end, joined only by separators (``\\boxed{2} and \\boxed{3}``,
   ``$\\boxed{2}$, $\\boxed{3}$``, ``x = \\boxed{2}, y = \\boxed{3}``), are returned joined as
   ``"2, 3"`` (identical chained boxes are collapsed: ``\\boxed{5} \\boxed{5}`` gives ``"5"``).
   Boxes separated by words or a line break are not chained: the last box alone is the answer.
2. ``answer_tag`` -- ``<answer>...</answer>`` (R1-zero template). If the tag holds a box, the box
   is taken. Exception to the order: a closed ``<answer>`` tag that comes *after* the last box wins
   (the box was in the ``<think>`` part).
3. ``answer_line`` -- the last line of the form ``Answer: ...`` (the abel/DAPO template),
   also ``**Answer:** 42``, ``✅ Final Answer: **42**``, ``Final Answer: The final answer is $42$. I
   hope it is correct.``, and ``Final Answer:`` after a sentence end in the middle of a line. An
   answer written as a sentence that states one value (``The largest $n$ is 34``) gives that value.
   Exception to the order: a line saying "final answer" that comes after the last box and states a
   value wins over the box (the boxes held intermediate results).
4. ``the_answer_is`` -- the last "the answer is ..." / "the final answer is ..." up to the end of
   the sentence or line.
5. ``gsm8k`` -- the last line ``#### <number>`` (markdown headings ``#### Step 2`` are not answers).
6. ``final_sentence`` -- the last sentence when it concludes (``Therefore``/``Thus``/``So``...) or is
   the whole response, states exactly one value right after "is"/"are"/"="/":"/"by", and does not
   hedge (``if``, ``not``, ``check``, a question) or restate the task (``Compute: ...``, an
   arithmetic expression not carried out).
7. ``bare_math`` -- a response that is one math span (``$E$``, ``Answer \\[ 9 \\]``).
8. ``last_number`` -- opt-in only (``last_number_fallback=True``): the last number in the text.
   Off by default: grading by the last number accepts responses that never answered.

Text after a chat template's turn marker (``<|im_start|>``, ``<|im_end|>``, ``<|eot_id|>``...) is a
hallucinated next turn and is cut off first. A marked answer that was cut off (``the final answer is
$\\boxed{``, ``The answer is (``) is no answer.

Each method examines at most ``_MAX_CANDIDATES`` failed candidates (malformed boxes, lines
mentioning "answer"). All scanning is linear in the text length (``str.rfind`` and anchored regexes without nested
quantifiers); megabyte responses and ``"\\boxed{" * 50000`` return in milliseconds.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = ["Extraction", "extract_answer"]


@dataclass(frozen=True)
class Extraction:
    answer: str | None
    """The final answer text as written (inner content of the box, etc.), None if none."""
    method: str | None
    """``boxed`` | ``fbox`` | ``answer_tag`` | ``answer_line`` | ``the_answer_is`` | ``gsm8k`` |
    ``final_sentence`` | ``bare_math`` | ``last_number`` | None."""


_NONE = Extraction(None, None)
_BOX_COMMANDS = ("\\boxed", "\\fbox")
#: at most this many failed candidates (malformed boxes, "answer" lines) are examined
_MAX_CANDIDATES = 200


# --------------------------------------------------------------------------------------------
# boxes

class _BraceMatcher:
    """Matches ``{`` to ``}`` by scanning the text backwards, lazily and at most once.

    ``close_of(p)`` for decreasing positions ``p`` costs O(total text after the first query)
    overall, whatever the input (unbalanced braces included)."""

    def __init__(self, text: str):
        self.text = text
        self.pos = len(text)          # everything at or after pos has been scanned
        self.stack: list[int] = []    # positions of unmatched '}' (innermost last)
        self.match: dict[int, int] = {}
        self.next_open = text.rfind("{")
        self.next_close = text.rfind("}")

    def close_of(self, p: int) -> int | None:
        """Position of the ``}`` closing the ``{`` at ``p`` (None if unbalanced)."""
        t = self.text
        while self.pos > p:
            o, c = self.next_open, self.next_close
            if o < 0 and c < 0:
                self.pos = -1
                break
            if c > o:
                # escaped braces \{ \} count as braces too (they nest in valid LaTeX)
                self.stack.append(c)
                self.pos = c
                self.next_close = t.rfind("}", 0, c)
            else:
                if self.stack:
                    self.match[o] = self.stack.pop()
                self.pos = o
                self.next_open = t.rfind("{", 0, o)
        return self.match.get(p)


def _box_candidates(text: str, end: int):
    """``(position, command)`` of every box command before ``end``, last first (linear time)."""
    nxt: dict[str, int] = {}
    for cmd in _BOX_COMMANDS:
        nxt[cmd] = text.rfind(cmd, 0, end)
    while True:
        cmd = max(nxt, key=nxt.__getitem__)
        i = nxt[cmd]
        if i < 0:
            return
        nxt[cmd] = text.rfind(cmd, 0, i)
        after = i + len(cmd)
        # \boxed must not be the prefix of a longer command name (\boxedx)
        if after < len(text) and text[after].isalpha():
            continue
        yield i, cmd


def _box_argument(text: str, i: int, cmd: str, braces: _BraceMatcher) -> tuple[str, int] | None:
    """Content of the box command at ``i`` and the position after it, or None if malformed."""
    j = i + len(cmd)
    n = len(text)
    while j < n and text[j] in " \t":
        j += 1
    if j >= n:
        return None
    if text[j] == "{":
        k = braces.close_of(j)
        if k is None:
            return None
        return text[j + 1:k], k + 1
    if j == i + len(cmd):     # \boxed5 is not a box; \boxed 5 is
        return None
    m = re.compile(r"[^\s$]+").match(text, j)
    if not m:
        return None
    return m.group(0), m.end()


_CHAIN_GAP = re.compile(
    r"(?:\s|\$|\\\(|\\\)|\\quad|\\qquad|\\,|\\;|\\ |,|;|&|\\text\{\s*(?:and|or)\s*\}|\band\b|\bor\b"
    r"|\b[a-zA-Z](?:_\{?\w+\}?)?\s*=)*")


def _single_box(text: str) -> Extraction | None:
    """Fast path for the common response: exactly one ``\\boxed{...}`` with no brace inside.
    None means "not that case" (the general scan decides). Same result as the general scan: with
    no other box and no ``{`` before the first ``}``, that ``}`` closes the box."""
    i = text.rfind("\\boxed")
    if i < 0 or text.rfind("\\boxed", 0, i) >= 0 or "\\fbox" in text:
        return None
    j = i + len("\\boxed")
    if j >= len(text) or text[j] != "{":
        return None
    k = text.find("}", j + 1)
    if k < 0:
        return None
    content = text[j + 1:k]
    if "{" in content:
        return None
    content = content.strip()
    return Extraction(content, "boxed") if content else _NONE


def _boxes(text: str) -> Extraction | None:
    fast = _single_box(text)
    if fast is not None:
        return fast
    braces = _BraceMatcher(text)
    items: list[str] = []
    method = None
    last_start = None
    malformed = 0
    for i, cmd in _box_candidates(text, len(text)):
        arg = _box_argument(text, i, cmd, braces)
        if arg is None:
            if last_start is not None:
                break
            malformed += 1
            if malformed > _MAX_CANDIDATES:
                return None
            continue                      # malformed (unbalanced) box: look further back
        content, after = arg
        if last_start is not None:
            if after > last_start:
                break                     # this box encloses the later one: not a chain of answers
            gap = text[after:last_start]
            if len(gap) > 40 or _CHAIN_GAP.fullmatch(gap) is None:
                break
        else:
            method = "fbox" if cmd == "\\fbox" else "boxed"
        items.append(content.strip())
        last_start = i
    if not items:
        return None
    if not items[0]:
        return _NONE                     # the last box is empty: no answer
    items = [x for x in reversed(items) if x]
    if len(set(items)) == 1:
        return Extraction(items[0], method)
    return Extraction(", ".join(items), method)


# --------------------------------------------------------------------------------------------
# other methods

def _answer_tag(text: str, after: int) -> Extraction | None:
    i = text.rfind("<answer>")
    if i < 0 or i < after:
        return None
    start = i + len("<answer>")
    j = text.find("</answer>", start)
    if j < 0:
        content = text[start:]
        if len(content) > 500:
            return None
    else:
        content = text[start:j]
    box = _boxes(content) if ("\\boxed" in content or "\\fbox" in content) else None
    if box is not None:
        return Extraction(box.answer, "answer_tag") if box.answer else _NONE
    content = _strip_math(content)
    if not content:
        return None
    return Extraction(content, "answer_tag")


_ANSWER_LINE = re.compile(
    r"(?:[ \t>#*_-]|[^\x00-\x7f\w])*(?:final[ \t]+)?answer[ \t]*(?:\*\*|__)?[ \t]*[:：][ \t]*(?:\*\*|__)?[ \t]*",
    re.IGNORECASE)
_HOPE = re.compile(r"\s*I hope it is correct\.?\s*$", re.IGNORECASE)
_FINAL_IS = re.compile(r"(?:the[ \t]+)?(?:final[ \t]+)?answer[ \t]+is[ \t]*:?[ \t]*", re.IGNORECASE)


#: "Final Answer:" in the middle of a line, after the end of a sentence (Minerva's format when the
#: solution and its last line were joined): "... = 120$. Final Answer: The volume is 120."
_MID_FINAL = re.compile(r"(?<=[.!?$)\]])[ \t]+(?:\*\*|__)?final[ \t]+answer[ \t]*(?:\*\*|__)?[ \t]*[:：][ \t]*"
                        r"(?:\*\*|__)?[ \t]*", re.IGNORECASE)


def _last_match(pattern: re.Pattern, text: str, start: int, end: int) -> re.Match | None:
    last = None
    for last in pattern.finditer(text, start, end):  # noqa: B007 (the loop keeps the last match)
        pass
    return last


def _lines_with(text: str, marker: str, haystack: str | None = None) -> Iterator[tuple[int, int]]:
    """(start, end) of each line of ``text`` that holds ``marker``, from the last one up, at most
    ``_MAX_CANDIDATES`` of them. ``haystack``: where to look for the marker (e.g. ``text.lower()``)."""
    hay = text if haystack is None else haystack
    end = len(text)
    for _ in range(_MAX_CANDIDATES):
        k = hay.rfind(marker, 0, end)
        if k < 0:
            return
        start = text.rfind("\n", 0, k) + 1
        line_end = text.find("\n", k)
        yield start, (len(text) if line_end < 0 else line_end)
        if start == 0:
            return
        end = start - 1


def _answer_line_at(text: str) -> tuple[Extraction, int, bool] | None:
    """The last answer line, the position where its marker starts, and whether it says "final"."""
    lower = text.lower()
    for start, line_end in _lines_with(text, "answer", lower):
        m = _ANSWER_LINE.match(text, start, line_end)
        at = start
        if m is None:
            m = _last_match(_MID_FINAL, text, start, line_end)
            at = m.start() if m is not None else start
        if m:
            content = text[m.end():line_end]
            if not content.strip():
                # "Answer:" alone: the answer is on the next non-empty line
                nxt = text[line_end:].lstrip("\n")
                content = nxt.split("\n", 1)[0] if nxt else ""
            hope = content.lower().find("i hope it is correct")
            if hope >= 0:
                content = content[:hope]
            m2 = _FINAL_IS.match(content.strip())
            if m2:
                content = _cut_sentence(content.strip()[m2.end():])
            content = _strip_math(_strip_markdown(content))
            if content:
                if _cut_off(content):
                    return _NONE, at, True
                final = "final" in lower[at:m.end()] or (m2 is not None and "final" in m2.group(0).lower())
                return Extraction(_one_value(content), "answer_line"), at, final
    return None


def _answer_line(text: str) -> Extraction | None:
    found = _answer_line_at(text)
    return None if found is None else found[0]


def _the_answer_is(text: str) -> Extraction | None:
    lower = text.lower()
    end = len(lower)
    for _ in range(_MAX_CANDIDATES):
        k = lower.rfind("answer is", 0, end)
        if k < 0:
            return None
        # must be "the answer is" / "the final answer is" / "final answer is"
        head = lower[max(0, k - 12):k]
        if not head.endswith(("the ", "final ", "correct ")):
            end = k
            continue
        line_end = text.find("\n", k, k + 2000)
        line = text[k + len("answer is"):line_end if line_end >= 0 else k + 2000]
        line = line.lstrip(" \t:")
        content = _cut_sentence(line)
        content = _strip_math(_strip_markdown(content))
        if content:
            if _cut_off(content):
                return _NONE
            return Extraction(_one_value(content), "the_answer_is")
        end = k
    return None


def _cut_sentence(s: str) -> str:
    """Up to the end of the sentence: a period followed by a space (not inside ``$...$``)."""
    in_math = False
    i, n = 0, len(s)
    while i < n:
        ch = s[i]
        if ch == "$":
            in_math = not in_math
        elif ch == "." and not in_math and (i + 1 == n or s[i + 1] in " \t"):
            return s[:i]
        i += 1
    return s


def _cut_off(content: str) -> bool:
    """A marked answer that was cut off: an unclosed box (``the final answer is $\\boxed{``) or
    nothing but punctuation (``The answer is (``)."""
    if "\\boxed" in content or "\\fbox" in content:
        return True
    return not any(ch.isalnum() or ch in "∞∅" for ch in content)


#: a number written in prose: 12, -3, 2/3, 1,234.5, 100%
_PROSE_NUMBER = r"(?<![\w.,/\\^_])[-−]?\d+(?:,\d{3})*(?:\.\d+)?(?:/\d+)?%?(?![\w/^_]|[.,]\d)"
#: a math span, or a number outside one
_VALUE = re.compile(r"\$\$(?P<d>[^$]*)\$\$|\$(?P<s>[^$]*)\$|\\\((?P<p>.*?)\\\)|\\\[(?P<b>.*?)\\\]|"
                    r"(?P<n>" + _PROSE_NUMBER + r")")
_SENTENCE_START = re.compile(r"[A-Za-z]{2,}\b")


def _stated(sentence: str) -> Iterator[tuple[str, int]]:
    """(value, where) of each value a sentence states: its math spans that contain a digit, and its
    numbers outside math (``The volume of $ABCDEFGH$ is 120`` states one value, 120)."""
    for m in _VALUE.finditer(sentence):
        v = m.group("n")
        if v is None:
            v = next(g for g in m.group("d", "s", "p", "b") if g is not None).strip()
            if not any(ch.isdigit() for ch in v):
                continue
        yield v, m.start()


def _values(sentence: str) -> list[str]:
    """The values a sentence states, the first two at most (``_stated``)."""
    return [v for v, _ in itertools.islice(_stated(sentence), 2)]


def _is_prose(content: str) -> bool:
    """Starts with a word and has three words or more (``The largest $n$ is 34``)."""
    return _SENTENCE_START.match(content) is not None and content.count(" ") >= 2


def _plain_math(content: str) -> bool:
    """Mathematics and nothing else: a digit or a LaTeX command, no word of three letters or more
    (``10,455``, ``\\frac{5}{3}``; not ``5 apples``, ``five``, ``See the box above``)."""
    bare = re.sub(r"\\[a-zA-Z]+", " ", content)
    return (any(ch.isdigit() for ch in content) or "\\" in content) and re.search(r"[A-Za-z]{3,}", bare) is None


def _one_value(content: str) -> str:
    """An answer written as a sentence (``The largest $n$ is 34``) stands for the one value it
    states; with none or several, the sentence is returned as it is."""
    if not _is_prose(content):
        return content
    vals = _values(content)
    return vals[0] if len(vals) == 1 else content


# --------------------------------------------------------------------------------------------
# answers outside any marker: GSM8K's "#### 42", a concluding sentence, a bare math span

#: GSM8K's answer line: "#### 42" at the start of a line, holding a number and nothing else
_GSM8K = re.compile(r"[ \t]*####[ \t]*(\$?[-−]?\d+(?:,\d{3})*(?:\.\d+)?(?:/\d+)?)[ \t]*\.?[ \t]*")


def _gsm8k(text: str) -> Extraction | None:
    """The last line ``#### <number>`` (GSM8K's format; text may follow on later lines). A
    markdown heading (``#### Step 2: the total``) is not an answer."""
    for start, line_end in _lines_with(text, "####"):
        m = _GSM8K.fullmatch(text, start, line_end)
        if m is not None:
            return Extraction(m.group(1).lstrip("$"), "gsm8k")
    return None


_CONCLUSION = re.compile(
    r"(?:therefore|thus|hence|so|consequently|in conclusion|in total|altogether|finally|in summary)\b",
    re.IGNORECASE)
_CONCLUSION_RUN_ON = re.compile(r"(?<= )(?:Therefore|Thus|Hence|Consequently)\b")
#: a sentence that states a value only hypothetically, negates it, or is still checking
_HEDGE = re.compile(r"\b(?:not|no|cannot|can't|isn't|aren't|never|if|suppose|assume|assuming|would|could|"
                    r"might|maybe|perhaps|probably|possibly|likely|think|guess|believe|seems?|check|verify|let|"
                    r"try|wait|or|instead|incorrect|wrong)\b|n't\b|\?",
                    re.IGNORECASE)
#: a task restated, not answered: "Compute: $55\times1212-15\times1212$."
_TASK = re.compile(r"(?:compute|calculate|evaluate|find|solve|simplify|determine|show|prove|express|write|"
                   r"consider|given)\b", re.IGNORECASE)
#: the value must be what the sentence is about: right after a verb of being, "=", ":" or "by"
_STATED = re.compile(r"(?:\b(?:is|are|was|were|be|equals|equal to|by|gives|get|obtain)|=|:)[ \t]*$",
                     re.IGNORECASE)
_MAX_SENTENCE = 400
#: arithmetic on numbers, not carried out (the task restated): ``55\times1212-15\times1212``
_UNEVALUATED = re.compile(r"\s*-?\d[\d.,]*\s*(?:(?:\\times|\\cdot|\\div|[*+×÷-])\s*-?\d[\d.,]*\s*)+")


def _last_sentence(text: str) -> tuple[str, bool] | None:
    """The response's last sentence (``I hope it is correct.`` dropped) and whether it is the whole
    response; None if it is longer than ``_MAX_SENTENCE``."""
    body = _HOPE.sub("", text.rstrip())
    if len(body) > 20 * _MAX_SENTENCE:
        body = body[-20 * _MAX_SENTENCE:]
        whole_possible = False
    else:
        whole_possible = True
    line_start = body.rfind("\n") + 1
    line = body[line_start:].rstrip()
    # sentence ends outside math: ". " / "! " / "? " (a decimal point has no space after it)
    start, in_math, i = 0, False, 0
    while i < len(line):
        ch = line[i]
        if ch == "$":
            in_math = not in_math
        elif ch in ".!?" and not in_math and i + 1 < len(line) and line[i + 1] in " \t":
            start = i + 1
        i += 1
    sentence = line[start:].strip()
    if len(sentence) > _MAX_SENTENCE:
        return None
    whole = whole_possible and line_start == 0 and start == 0
    return sentence, whole


def _final_sentence(text: str) -> Extraction | None:
    """The value a concluding last sentence states: ``Therefore, the probability ... is 2/3.``,
    ``Thus, there are 12 sequences ...``, or a one-sentence response ``The matrix is $...$``.
    Only when the sentence states exactly one value, right after "is"/"are"/"="/":"/"by", and does
    not hedge (if, not, check, ?...): a number in the middle of prose is not an answer."""
    found = _last_sentence(text)
    if found is None:
        return None
    sentence, whole = found
    if not sentence or sentence.endswith("?") or _HEDGE.search(sentence) or _TASK.match(sentence):
        return None
    if not _CONCLUSION.match(sentence):
        # a conclusion run on after a formula without a full stop: "P(A) = 2/3 Therefore, ..."
        c = _last_match(_CONCLUSION_RUN_ON, sentence, 0, len(sentence))
        if c is not None:
            sentence = sentence[c.start():]
        elif not whole:
            return None
    vals = list(itertools.islice(_stated(sentence), 2))
    if len(vals) != 1:
        return None
    value, at = vals[0]
    if not _STATED.search(sentence, 0, at):
        return None
    value = _strip_math(value)
    if not value or _UNEVALUATED.fullmatch(value):
        return None
    return Extraction(value, "final_sentence")


#: a response that is one math span, optionally after "Answer": ``$E$``, ``Answer \[ 9 \]``
_BARE_MATH = re.compile(r"\s*(?:(?:final[ \t]+)?answer[ \t]*[:：]?[ \t]*)?"
                        r"(?:\$\$([^$]+)\$\$|\$([^$]+)\$|\\\((.+?)\\\)|\\\[(.+?)\\\])\s*\.?\s*",
                        re.IGNORECASE | re.DOTALL)


def _bare_math(text: str) -> Extraction | None:
    if len(text) > 2000:
        return None
    m = _BARE_MATH.fullmatch(text)
    if m is None:
        return None
    value = next(g for g in m.groups() if g is not None).strip()
    if "\\(" in value or "\\[" in value or "\\boxed" in value or _UNEVALUATED.fullmatch(value):
        return None
    return Extraction(value, "bare_math") if value else None


#: the end of the response: a chat template's turn marker (text after it is a hallucinated turn)
_TURN_END = re.compile(r"<\|(?:im_start|im_end|endoftext|end_of_text|eot_id|start_header_id|eom_id)\|>"
                       r"|<｜(?:User|Assistant|end▁of▁sentence)｜>")


def _last_number(text: str) -> Extraction | None:
    m = re.search(r"\d", text[::-1])
    if m is None:
        return None
    end = len(text) - m.start()
    start = end
    while start > 0 and (text[start - 1].isdigit() or text[start - 1] in ".,"):
        start -= 1
    s = text[start:end].strip(".,")
    if start > 0 and text[start - 1] == "-":
        s = "-" + s
    return Extraction(s, "last_number") if s else None


def _strip_markdown(s: str) -> str:
    s = s.strip()
    for mark in ("**", "__"):
        if s.startswith(mark):
            s = s[len(mark):]
        if s.endswith(mark):
            s = s[:-len(mark)]
    return s.strip()


def _strip_math(s: str) -> str:
    """Remove surrounding ``$``/``\\(``/``\\[`` delimiters and a trailing period."""
    s = s.strip()
    changed = True
    while changed and s:
        changed = False
        if s.endswith("."):
            s = s[:-1].rstrip()
            changed = True
        for a, b in (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]")):
            if len(s) >= len(a) + len(b) and s.startswith(a) and s.endswith(b):
                s = s[len(a):len(s) - len(b)].strip()
                changed = True
    return s


# --------------------------------------------------------------------------------------------

def extract_answer(text: str, *, last_number_fallback: bool = False) -> Extraction:
    """The final answer of a response and how it was found; ``Extraction(None, None)`` if none."""
    if not text:
        return _NONE
    turn = _TURN_END.search(text)
    if turn is not None and text[:turn.start()].strip():
        text = text[:turn.start()]
    box = _boxes(text)
    # a closed <answer> tag after the last box wins over the box (R1-zero: box inside <think>)
    tag_pos = text.rfind("<answer>")
    if box is not None:
        last_box = max(text.rfind("\\boxed"), text.rfind("\\fbox"))
        if tag_pos > last_box and text.find("</answer>", tag_pos) >= 0:
            tag = _answer_tag(text, last_box)
            if tag is not None:
                return tag
        # boxes of intermediate results, then "Final Answer: The final answer is $10,455$."
        line = _answer_line_at(text) if "answer" in text[last_box:].lower() else None
        if line is not None and line[1] > last_box and line[2] and line[0].answer \
                and _plain_math(line[0].answer):
            return line[0]
        return box
    for finder in (lambda t: _answer_tag(t, 0), _answer_line, _the_answer_is, _gsm8k, _final_sentence,
                   _bare_math):
        found = finder(text)
        if found is not None:
            return found
    if last_number_fallback:
        found = _last_number(text)
        if found is not None:
            return found
    return _NONE
