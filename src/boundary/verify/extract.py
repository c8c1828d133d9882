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
   also ``**Answer:** 42``, ``Final Answer: The final answer is $42$. I hope it is correct.``
4. ``the_answer_is`` -- the last "the answer is ..." / "the final answer is ..." up to the end of
   the sentence or line.
5. ``last_number`` -- opt-in only (``last_number_fallback=True``): the last number in the text.
   Off by default: grading by the last number accepts responses that never answered.

Each method examines at most ``_MAX_CANDIDATES`` failed candidates (malformed boxes, lines
mentioning "answer"). All scanning is linear in the text length (``str.rfind`` and anchored regexes without nested
quantifiers); megabyte responses and ``"\\boxed{" * 50000`` return in milliseconds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Extraction", "extract_answer"]


@dataclass(frozen=True)
class Extraction:
    answer: str | None
    """The final answer text as written (inner content of the box, etc.), None if none."""
    method: str | None
    """``boxed`` | ``fbox`` | ``answer_tag`` | ``answer_line`` | ``the_answer_is`` |
    ``last_number`` | None."""


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
    r"[ \t>#*_]*(?:final[ \t]+)?answer[ \t]*(?:\*\*|__)?[ \t]*[:：][ \t]*(?:\*\*|__)?[ \t]*",
    re.IGNORECASE)
_HOPE = re.compile(r"\s*I hope it is correct\.?\s*$", re.IGNORECASE)
_FINAL_IS = re.compile(r"(?:the[ \t]+)?(?:final[ \t]+)?answer[ \t]+is[ \t]*:?[ \t]*", re.IGNORECASE)


def _answer_line(text: str) -> Extraction | None:
    lower = text.lower()
    end = len(text)
    for _ in range(_MAX_CANDIDATES):
        k = lower.rfind("answer", 0, end)
        if k < 0:
            return None
        start = text.rfind("\n", 0, k) + 1
        line_end = text.find("\n", k)
        if line_end < 0:
            line_end = len(text)
        line = text[start:line_end]
        m = _ANSWER_LINE.match(line)
        if m:
            content = line[m.end():]
            if not content.strip():
                # "Answer:" alone: the answer is on the next non-empty line
                nxt = text[line_end:].lstrip("\n")
                content = nxt.split("\n", 1)[0] if nxt else ""
            content = _HOPE.sub("", content)
            m2 = _FINAL_IS.match(content.strip())
            if m2:
                content = content.strip()[m2.end():]
            content = _strip_math(_strip_markdown(content))
            if content:
                return Extraction(content, "answer_line")
        if start == 0:
            return None
        end = start - 1
    return None


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
            return Extraction(content, "the_answer_is")
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
    box = _boxes(text)
    # a closed <answer> tag after the last box wins over the box (R1-zero: box inside <think>)
    tag_pos = text.rfind("<answer>")
    if box is not None:
        last_box = max(text.rfind("\\boxed"), text.rfind("\\fbox"))
        if tag_pos > last_box and text.find("</answer>", tag_pos) >= 0:
            tag = _answer_tag(text, last_box)
            if tag is not None:
                return tag
        return box
    for finder in (lambda t: _answer_tag(t, 0), _answer_line, _the_answer_is):
        found = finder(text)
        if found is not None:
            return found
    if last_number_fallback:
        found = _last_number(text)
        if found is not None:
            return found
    return _NONE
