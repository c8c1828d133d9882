"""Countdown: the organism's verifiable task.

A problem gives five numbers and a target; an answer is one arithmetic expression over ``+ - *``
and parentheses that uses every number exactly once and equals the target::

    question  "3 5 7 8 2>26:"        answer  "(8-5)*7+3+2"

Why this task: an answer is checked exactly and cheaply, and the space of well-formed answers is
large (46,080 ways to combine five numbers), so solving a problem within k tries is skill, not luck.
:func:`chance` gives, per problem, the probability that a *blind guess* (combine two random numbers
with a random operation until one is left; it never looks at the target) hits the target, and
:func:`chance_floor` turns it into the floor pass@k that guessing alone reaches.

Difficulty is graded by how many numbers a problem has (``size``, 3 to 5) and, at a given size, by
its chance: a problem whose target few combinations reach is hard.

Training data come from :func:`make_example`: a *strategy* (the shape of the expression and its
operations) is drawn from a skewed, Zipf-like distribution, so a model trained on them knows
common strategies well and rare ones faintly. This is the prior that RL sharpens (see
``docs/organism.md``).
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import lru_cache

OPS = "+-*"
MAX_ANSWER_CHARS = 40
"""Answers longer than this are malformed (the generator's longest is ~20 characters)."""


@dataclass(frozen=True)
class Countdown:
    """One problem: ``numbers`` (in the order shown) and the ``target``."""

    numbers: tuple[int, ...]
    target: int

    @property
    def question(self) -> str:
        return " ".join(map(str, self.numbers)) + f">{self.target}:"

    @property
    def size(self) -> int:
        return len(self.numbers)


# -- expressions ----------------------------------------------------------------------------------

_PREC = {"+": 1, "-": 1, "*": 2}


@dataclass(frozen=True)
class Node:
    """A binary expression tree; a leaf has ``op=None`` and a ``value``."""

    op: str | None
    value: int
    left: Node | None = None
    right: Node | None = None

    def render(self) -> str:
        """Infix text with the fewest parentheses that keep the meaning."""
        if self.op is None:
            return str(self.value)
        p = _PREC[self.op]
        assert self.left is not None and self.right is not None  # an operator node has both operands
        lt = self.left.render()
        if self.left.op is not None and _PREC[self.left.op] < p:
            lt = f"({lt})"
        rt = self.right.render()
        if self.right.op is not None and (_PREC[self.right.op] < p or
                                          (_PREC[self.right.op] == p and self.op in "-")):
            rt = f"({rt})"
        return f"{lt}{self.op}{rt}"


def combine(op: str, a: Node, b: Node) -> Node:
    v = a.value + b.value if op == "+" else a.value - b.value if op == "-" else a.value * b.value
    return Node(op, v, a, b)


class ParseError(ValueError):
    pass


def parse(text: str) -> tuple[int, list[int]]:
    """Evaluate an answer: returns (value, numbers used in order). Raises ParseError.

    A small recursive-descent parser over digits, ``+ - *`` and parentheses (never ``eval``);
    linear in the text, which is capped at :data:`MAX_ANSWER_CHARS`.
    """
    s = text.replace(" ", "")
    if not s:
        raise ParseError("empty answer")
    if len(s) > MAX_ANSWER_CHARS:
        raise ParseError(f"answer longer than {MAX_ANSWER_CHARS} characters")
    pos = 0
    used: list[int] = []

    def expr() -> int:
        nonlocal pos
        v = term()
        while pos < len(s) and s[pos] in "+-":
            op = s[pos]
            pos += 1
            w = term()
            v = v + w if op == "+" else v - w
        return v

    def term() -> int:
        nonlocal pos
        v = atom()
        while pos < len(s) and s[pos] == "*":
            pos += 1
            v *= atom()
        return v

    def atom() -> int:
        nonlocal pos
        if pos < len(s) and s[pos] == "(":
            pos += 1
            v = expr()
            if pos >= len(s) or s[pos] != ")":
                raise ParseError(f"missing ')' at character {pos}")
            pos += 1
            return v
        start = pos
        while pos < len(s) and s[pos].isdigit():
            pos += 1
        if start == pos:
            raise ParseError(f"expected a number at character {pos}")
        if pos - start > 3:
            raise ParseError("a number longer than 3 digits")
        used.append(int(s[start:pos]))
        return used[-1]

    value = expr()
    if pos != len(s):
        raise ParseError(f"unexpected {s[pos]!r} at character {pos}")
    return value, used


@dataclass(frozen=True)
class Check:
    """The verdict on one answer: ``status`` is correct / wrong / no_answer."""

    status: str
    reason: str
    value: int | None = None

    @property
    def correct(self) -> bool:
        return self.status == "correct"


def check(answer: str, problem: Countdown) -> Check:
    """Is ``answer`` an expression over exactly ``problem.numbers`` that equals the target?"""
    text = answer.strip()
    if not text:
        return Check("no_answer", "empty answer")
    try:
        value, used = parse(text)
    except ParseError as e:
        return Check("wrong", f"malformed: {e}")
    if Counter(used) != Counter(problem.numbers):
        return Check("wrong", f"uses {sorted(used)}, must use each of {sorted(problem.numbers)} once", value)
    if value != problem.target:
        return Check("wrong", f"equals {value}, not {problem.target}", value)
    return Check("correct", f"equals {value}", value)


# -- blind guessing ---------------------------------------------------------------------------------

@lru_cache(maxsize=200_000)
def _outcomes(numbers: tuple[int, ...]) -> tuple[tuple[int, float], ...]:
    """Distribution of the value a blind guess reaches from the multiset ``numbers`` (sorted)."""
    if len(numbers) == 1:
        return ((numbers[0], 1.0),)
    dist: defaultdict[int, float] = defaultdict(float)
    n = len(numbers)
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    w_pair = 1.0 / len(pairs) / 4.0                  # ops: a+b, a*b, a-b, b-a
    for i, j in pairs:
        a, b = numbers[i], numbers[j]
        rest = numbers[:i] + numbers[i + 1:j] + numbers[j + 1:]
        for v in (a + b, a * b, a - b, b - a):
            for value, p in _outcomes(tuple(sorted(rest + (v,)))):
                dist[value] += w_pair * p
    return tuple(dist.items())


def chance(problem: Countdown) -> float:
    """Probability that one blind guess solves ``problem``.

    The guesser knows the rules, not the target: it combines two of the remaining numbers, chosen
    uniformly, with one of ``a+b, a*b, a-b, b-a`` chosen uniformly, until one number is left.
    """
    return dict(_outcomes(tuple(sorted(problem.numbers)))).get(problem.target, 0.0)


def chance_floor(p: float, k: int) -> float:
    """pass@k of blind guessing on a problem with per-guess success probability ``p``."""
    return 1.0 - (1.0 - p) ** k


def solutions(problem: Countdown) -> list[str]:
    """Every distinct answer text (as the generator renders it) that solves ``problem``."""
    out: set[str] = set()

    def go(nodes: tuple[Node, ...]):
        if len(nodes) == 1:
            if nodes[0].value == problem.target:
                out.add(nodes[0].render())
            return
        for i in range(len(nodes)):
            for j in range(i + 1, len(nodes)):
                rest = nodes[:i] + nodes[i + 1:j] + nodes[j + 1:]
                a, b = nodes[i], nodes[j]
                for node in (combine("+", a, b), combine("*", a, b), combine("-", a, b), combine("-", b, a)):
                    go(rest + (node,))

    go(tuple(Node(None, x) for x in problem.numbers))
    return sorted(out)


# -- the generator ----------------------------------------------------------------------------------

NUMBER_RANGE = (1, 9)
TARGET_RANGE = (1, 300)


def _zipf(n: int, s: float) -> list[float]:
    w = [1.0 / (r + 1) ** s for r in range(n)]
    t = sum(w)
    return [x / t for x in w]


@dataclass(frozen=True)
class Strategy:
    """How an expression is built: ``order`` is the sequence of positions (into the numbers sorted
    in descending order) combined step by step with the running result; ``ops`` the operations.
    ``order`` starts with two positions; the rest are folded in one at a time."""

    order: tuple[int, ...]
    ops: tuple[str, ...]


def strategies(size: int) -> list[Strategy]:
    """All fold strategies for ``size`` numbers, in a fixed order that the Zipf prior ranks.

    The order puts "multiply the big numbers, then adjust with the small ones" first, the way a
    person often plays Countdown; the exact ranking matters less than its skew.
    """
    import itertools
    out = []
    for ops in itertools.product("*+-", repeat=size - 1):
        for order in itertools.permutations(range(size)):
            out.append(Strategy(order, ops))
    # rank: more '*' early, larger numbers first, then lexicographic: deterministic
    out.sort(key=lambda st: (-sum(1 for o in st.ops[:2] if o == "*"), st.order, st.ops))
    return out


def apply_strategy(numbers_desc: tuple[int, ...], st: Strategy) -> Node:
    acc = Node(None, numbers_desc[st.order[0]])
    for pos, op in zip(st.order[1:], st.ops):
        acc = combine(op, acc, Node(None, numbers_desc[pos]))
    return acc


@lru_cache(maxsize=8)
def _strategy_table(size: int, skew: float):
    sts = strategies(size)
    return sts, _zipf(len(sts), skew)


def random_problem(rng: random.Random, size: int = 5, *, skew: float = 1.1,
                   max_tries: int = 1000) -> tuple[Countdown, str]:
    """A problem and the answer the skewed strategy prior generated for it."""
    sts, weights = _strategy_table(size, skew)
    for _ in range(max_tries):
        nums = tuple(rng.randint(*NUMBER_RANGE) for _ in range(size))
        desc = tuple(sorted(nums, reverse=True))
        st = rng.choices(sts, weights)[0]
        node = apply_strategy(desc, st)
        if TARGET_RANGE[0] <= node.value <= TARGET_RANGE[1]:
            return Countdown(nums, node.value), node.render()
    raise RuntimeError("no problem in range after max_tries draws")   # pragma: no cover


def make_example(rng: random.Random, *, sizes=(3, 4, 5), size_weights=(0.15, 0.25, 0.6),
                 skew: float = 1.1, noise: float = 0.4) -> tuple[Countdown, str, bool]:
    """One training example: (problem, answer, answer_is_correct).

    With probability ``noise`` the answer is a well-formed expression of the problem's numbers
    that misses the target (a strategy applied to a different target), as a base model trained on
    unfiltered text has seen many wrong solutions.
    """
    size = rng.choices(sizes, size_weights)[0]
    problem, answer = random_problem(rng, size, skew=skew)
    if rng.random() < noise:
        sts, weights = _strategy_table(size, skew)
        desc = tuple(sorted(problem.numbers, reverse=True))
        for _ in range(20):
            wrong = apply_strategy(desc, rng.choices(sts, weights)[0])
            if wrong.value != problem.target:
                return problem, wrong.render(), False
    return problem, answer, True


def heldout_problems(count: int, *, seed: int, size: int = 5, exclude: set[str] | None = None,
                     max_chance: float | None = None, min_chance: float = 1e-9) -> list[Countdown]:
    """Evaluation problems: distinct, not in ``exclude`` (question texts), filtered by chance."""
    rng = random.Random(seed)
    seen = set(exclude or ())
    out: list[Countdown] = []
    while len(out) < count:
        p, _ = random_problem(rng, size)
        if p.question in seen:
            continue
        c = chance(p)
        if c < min_chance or (max_chance is not None and c > max_chance):
            continue
        seen.add(p.question)
        out.append(p)
    return out
