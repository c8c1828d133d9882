r"""Prompt templates: turn a problem into the model's input text.

The base model and the RL model of one comparison must get the same prompt (Yue et al. 2025, §3:
"base uses exactly the RL model's prompt"). Every template has a ``fingerprint`` (a hash of
what determines the rendered text) that the run records next to each model.

Named templates (texts copied exactly from the cited sources; ``{question}`` is the only
placeholder, every other brace is literal):

- ``qwen-boxed``: SimpleRL-Zoo's training/eval prompt, and what the paper's scripts pass
  (``--template qwen-boxed``). Source: QwenLM/Qwen2.5-Math, ``evaluation/utils.py``
  ``PROMPT_TEMPLATES["qwen-boxed"]``, commit 615096eceb14e653ba791d862a21b326a1d26e12
  (the format string's ``\\boxed{{}}`` renders as ``\boxed{}``).
- ``qwen25-math-cot``: Oat-Zero's prompt (system = the step-by-step instruction). Source: the
  ``PROMPT_TEMPLATES["qwen25-math-cot"]`` entry of the Qwen2.5-Math evaluation ``utils.py`` as
  carried by later copies of that file (the commit above predates the entry); identical to
  sail-sg/understand-r1-zero ``train_zero_math.py`` ``apply_qwen_math_template``, commit
  14046dcaa53d47b3a5e3217c63e649d8862147d9.
- ``abel``: in the paper's repo (LeapLabTHU/limit-of-RLVR) the ``abel`` entry holds DAPO's prompt
  (reference/methods.md §1.2). The text is DAPO's, from BytedTsinghua-SIA/DAPO
  ``inference/examples.json``, commit 2d02db5c17638150486513ef66fe97badebc0ff2, with the problem
  replaced by ``{question}``. The limit-of-RLVR ``utils.py`` itself was not available to check
  character by character: unverified against it.
- ``abel-qwen25-math``: the original Qwen2.5-Math ``abel`` entry (commit 615096e above).
- ``r1-zero``: DeepSeek-R1-Zero's template (DeepSeek-AI 2025, Table 1), used by the paper's VeRL
  algorithm study ("A conversation between User and Assistant… User: {} Assistant:"). The exact
  string of the paper's VeRL runs is unverified; this is the R1 paper's text with ``prompt``
  replaced by ``{question}``.
- ``r1-zero-oat``: Oat-Zero's R1 template, sail-sg/understand-r1-zero ``train_zero_math.py``
  ``apply_r1_template``, commit 14046dcaa53d47b3a5e3217c63e649d8862147d9.
- ``easyr1``: the paper's visual-reasoning prompt (Yue et al. 2025, §3.3 and App. E Fig. 26: the
  RL model is Qwen2.5-VL-7B trained with EasyR1). The text is EasyR1's math format prompt,
  hiyouga/EasyR1 ``examples/format_prompt/math.jinja`` (``{{ content | trim }}`` followed by the
  instruction; the paper's figure shows the same instruction in the system turn, after "You are
  Qwen, created by Alibaba Cloud. You are a helpful assistant."), with the content replaced by
  ``{question}``. Copied from this project's reading of that file (reference/visual.md §2), not
  checked character by character against a pinned commit: unverified. It is the *user turn*
  only: use it as the user text of the model's chat template (``template: {chat: true, user:
  ...}``) or a chat server; the image placeholder is the model's (``docs/visual.md``).
- ``raw``: the question alone.

``stop`` lists stop strings a sampler should add for the template (from the same sources).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from boundary.errors import InputError

__all__ = ["PromptTemplate", "ChatTemplate", "TEMPLATES", "get_template", "make_template",
           "template_names", "PLACEHOLDER"]

PLACEHOLDER = "{question}"
IMAGE_SLOT = "{image}"
"""Where a problem's images go in a text template (optional, at most once): the sample stage puts
the model's ``image_placeholder`` there once per image, or before the question when it is absent."""


def _question_text(problem: Any) -> str:
    if isinstance(problem, str):
        return problem
    q = getattr(problem, "question", None)
    if q is None and isinstance(problem, Mapping):
        q = problem.get("question")
    if not isinstance(q, str):
        raise TypeError(f"render() needs a Problem or a question string, got {type(problem).__name__}.")
    return q


def _hash(payload: dict[str, Any]) -> str:
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class PromptTemplate:
    """A plain-text template: ``text`` with a ``{question}`` placeholder."""

    name: str
    text: str
    source: str = field(default="", compare=False)
    """Where the text comes from (repo, path, commit) or ``user``."""
    stop: tuple[str, ...] = ()
    """Stop strings a sampler should use with this template."""

    def __post_init__(self):
        if not isinstance(self.text, str) or PLACEHOLDER not in self.text:
            raise InputError(f"prompt template {self.name!r} must contain the placeholder {PLACEHOLDER} "
                             f"(where the problem text goes); got {str(self.text)[:120]!r}.")
        if self.text.count(PLACEHOLDER) > 1:
            raise InputError(f"prompt template {self.name!r} contains {PLACEHOLDER} "
                             f"{self.text.count(PLACEHOLDER)} times; use it exactly once.")
        if self.text.count(IMAGE_SLOT) > 1:
            raise InputError(f"prompt template {self.name!r} contains {IMAGE_SLOT} "
                             f"{self.text.count(IMAGE_SLOT)} times; use it at most once (it holds every image).")
        object.__setattr__(self, "stop", tuple(self.stop))

    kind = "text"

    def render(self, problem: Any) -> str:
        """The model input for ``problem`` (a :class:`Problem`, or its question text)."""
        return self.text.replace(PLACEHOLDER, _question_text(problem))

    @property
    def fingerprint(self) -> str:
        """16 hex digits of sha256 over what decides the rendered text (not the name)."""
        return _hash({"kind": "text", "text": self.text})

    def describe(self) -> dict[str, Any]:
        """What a run records about the prompt."""
        return {"name": self.name, "kind": "text", "fingerprint": self.fingerprint, "text": self.text,
                "source": self.source, "stop": list(self.stop)}


class ChatTemplate:
    """Render through a tokenizer's own chat template (``apply_chat_template``).

    Messages: an optional system message, then one user message ``user`` (default
    ``{question}``); ``add_generation_prompt=True``, text output. The fingerprint covers the
    tokenizer's chat-template string, the system prompt and the user text, so two models whose
    tokenizers format chats differently get different fingerprints.
    """

    kind = "chat"

    def __init__(self, tokenizer: Any, *, system: str | None = None, user: str = PLACEHOLDER,
                 name: str = "chat", tokenizer_name: str | None = None):
        if PLACEHOLDER not in user:
            raise InputError(f"the user message of chat template {name!r} must contain {PLACEHOLDER}; "
                             f"got {user[:120]!r}.")
        if not hasattr(tokenizer, "apply_chat_template"):
            raise InputError(f"chat template {name!r}: the tokenizer ({type(tokenizer).__name__}) has no "
                             "apply_chat_template; use a transformers tokenizer.")
        chat = getattr(tokenizer, "chat_template", None)
        if not chat:
            raise InputError(f"chat template {name!r}: the tokenizer "
                             f"{tokenizer_name or getattr(tokenizer, 'name_or_path', '')!r} has no chat "
                             "template (base models often have none); use a named template such as "
                             "'qwen-boxed' instead.")
        self.tokenizer = tokenizer
        self.system = system
        self.user = user
        self.name = name
        self.tokenizer_name = tokenizer_name or getattr(tokenizer, "name_or_path", "") or ""
        self.stop: tuple[str, ...] = ()
        eos = getattr(tokenizer, "eos_token", None)
        if isinstance(eos, str) and eos:
            self.stop = (eos,)

    @classmethod
    def from_pretrained(cls, path: str, *, system: str | None = None, user: str = PLACEHOLDER,
                        name: str = "chat", **kwargs: Any) -> ChatTemplate:
        """Load the tokenizer of ``path`` (a local directory or hub id) with ``transformers``."""
        try:
            from transformers import AutoTokenizer  # noqa: PLC0415 - optional dependency
        except ImportError as e:
            raise InputError("chat templates need the 'transformers' package: pip install "
                             "'boundary[hf]'.") from e
        tok = AutoTokenizer.from_pretrained(path, **kwargs)
        return cls(tok, system=system, user=user, name=name, tokenizer_name=str(path))

    def messages(self, problem: Any) -> list[dict[str, str]]:
        msgs = []
        if self.system is not None:
            msgs.append({"role": "system", "content": self.system})
        msgs.append({"role": "user", "content": self.user.replace(PLACEHOLDER, _question_text(problem))})
        return msgs

    def render(self, problem: Any) -> str:
        return self.tokenizer.apply_chat_template(self.messages(problem), tokenize=False,
                                                  add_generation_prompt=True)

    @property
    def chat_template(self) -> str:
        chat = self.tokenizer.chat_template
        return chat if isinstance(chat, str) else json.dumps(chat, sort_keys=True)

    @property
    def fingerprint(self) -> str:
        return _hash({"kind": "chat", "chat_template": self.chat_template, "system": self.system,
                      "user": self.user})

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "kind": "chat", "fingerprint": self.fingerprint,
                "tokenizer": self.tokenizer_name, "system": self.system, "user": self.user,
                "chat_template": self.chat_template, "stop": list(self.stop)}

    def __repr__(self) -> str:
        return (f"ChatTemplate(name={self.name!r}, tokenizer={self.tokenizer_name!r}, "
                f"system={self.system!r}, fingerprint={self.fingerprint!r})")


# ------------------------------------------------------------------------------------------
# The paper's templates
# ------------------------------------------------------------------------------------------

_QWEN_SRC = ("QwenLM/Qwen2.5-Math evaluation/utils.py PROMPT_TEMPLATES, "
             "commit 615096eceb14e653ba791d862a21b326a1d26e12")
_OAT_SRC = ("sail-sg/understand-r1-zero train_zero_math.py, "
            "commit 14046dcaa53d47b3a5e3217c63e649d8862147d9")
# Stop strings of the paper's math_eval.py (LeapLabTHU/limit-of-RLVR math/examples/math_eval/
# math_eval.py, commit 69ca20ffd680fd4ed5bf913c3d96a6f2f24d4377): "</s>", "<|im_end|>",
# "<|endoftext|>" always; for "qwen" templates also "assistant", "user", "_end", "_start".
# The latter four would cut any response mentioning the word "user"; we keep the three
# end-of-turn markers only. For "abel" the same code adds "Question:" and "Answer:", which would
# stop a DAPO-style response right before its final answer; we omit them.
_END = ("</s>", "<|im_end|>", "<|endoftext|>")

_TEMPLATE_LIST = [
    PromptTemplate(
        "qwen-boxed",
        "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
        "<|im_start|>user\n{question}\nPlease reason step by step, and put your final answer within "
        "\\boxed{}.<|im_end|>\n"
        "<|im_start|>assistant\n",
        source=_QWEN_SRC + ' ["qwen-boxed"]', stop=_END),
    PromptTemplate(
        "qwen25-math-cot",
        "<|im_start|>system\nPlease reason step by step, and put your final answer within "
        "\\boxed{}.<|im_end|>\n"
        "<|im_start|>user\n{question}<|im_end|>\n"
        "<|im_start|>assistant\n",
        source='Qwen2.5-Math evaluation/utils.py PROMPT_TEMPLATES["qwen25-math-cot"]; = ' + _OAT_SRC
        + " apply_qwen_math_template", stop=_END),
    PromptTemplate(
        "abel",
        "A conversation between user and assistant. The user asks a question, and the assistant "
        "solves it. The time limit is set to 20,480 tokens. If the assistant's response exceeds this "
        "limit, a progressively increasing penalty with the number of tokens exceeded will be "
        "applied.\nuser\nSolve the following math problem step by step. The last line of your "
        "response should be of the form Answer: $Answer (without quotes) where $Answer is the answer "
        "to the problem.\n{question}\nRemember to put your answer on its own line after "
        "\"Answer:\".\nassistant",
        source="DAPO prompt: BytedTsinghua-SIA/DAPO inference/examples.json, commit "
        "2d02db5c17638150486513ef66fe97badebc0ff2 ('abel' in LeapLabTHU/limit-of-RLVR; unverified there)",
        stop=_END),
    PromptTemplate(
        "abel-qwen25-math",
        "Question:\n{question}\nAnswer:\nLet's think step by step.\n",
        source=_QWEN_SRC + ' ["abel"]', stop=_END + ("Question:",)),
    PromptTemplate(
        "r1-zero",
        "A conversation between User and Assistant. The user asks a question, and the Assistant "
        "solves it. The assistant first thinks about the reasoning process in the mind and then "
        "provides the user with the answer. The reasoning process and answer are enclosed within "
        "<think> </think> and <answer> </answer> tags, respectively, i.e., <think> reasoning process "
        "here </think> <answer> answer here </answer>. User: {question}. Assistant:",
        source="DeepSeek-R1 paper (arXiv 2501.12948) Table 1, 'prompt' -> {question}", stop=("</answer>",)),
    PromptTemplate(
        "r1-zero-oat",
        "A conversation between User and Assistant. The User asks a question, and the Assistant "
        "solves it. The Assistant first thinks about the reasoning process in the mind and then "
        "provides the User with the answer. The reasoning process is enclosed within <think> </think> "
        "and answer is enclosed within <answer> </answer> tags, respectively, i.e., <think> reasoning "
        "process here </think> <answer> answer here </answer>.\nUser: {question}\nAssistant: <think>",
        source=_OAT_SRC + " apply_r1_template", stop=("</answer>",)),
    PromptTemplate(
        "easyr1",
        "{question} You FIRST think about the reasoning process as an internal monologue and then provide the "
        "final answer. The reasoning process MUST BE enclosed within <think> </think> tags. The final answer "
        "MUST BE put in \\boxed{}.",
        source="hiyouga/EasyR1 examples/format_prompt/math.jinja (the paper's visual prompt, Fig. 26), "
        "content -> {question}; commit unpinned, unverified character by character"),
    PromptTemplate("raw", "{question}", source="the question alone"),
]

TEMPLATES: dict[str, PromptTemplate] = {t.name: t for t in _TEMPLATE_LIST}

_ALIASES = {"r1": "r1-zero", "r1zero": "r1-zero", "dapo": "abel", "qwen_boxed": "qwen-boxed",
            "qwen-math-cot": "qwen25-math-cot", "none": "raw", "no": "raw"}


def template_names() -> list[str]:
    return list(TEMPLATES)


def get_template(name: str) -> PromptTemplate:
    """A named template (case-insensitive; ``_`` and ``-`` interchangeable)."""
    if not isinstance(name, str):
        raise InputError(f"template name must be a string, got {type(name).__name__}.")
    key = name.strip().lower()
    key = _ALIASES.get(key, key)
    for cand in (key, key.replace("_", "-")):
        if cand in TEMPLATES:
            return TEMPLATES[cand]
    raise InputError(f"unknown prompt template {name!r}. Known: {', '.join(TEMPLATES)}; "
                     "or give your own text containing {question}, or 'chat' to use the model's "
                     "chat template.")


def make_template(spec: Any, *, tokenizer: Any = None) -> PromptTemplate | ChatTemplate:
    """A template from a spec value.

    - a :class:`PromptTemplate` / :class:`ChatTemplate`: returned as is;
    - a string: a registered name, or else a template text that must contain ``{question}``;
    - a dict: ``{"name": ..., "text": "...{question}..."}`` for a user template,
      ``{"template": "<registered name>"}``, or ``{"chat": true, "system": ..., "user": ...,
      "tokenizer": "<path or hub id>"}`` for the model's chat template (``tokenizer`` may also
      be passed as an object).
    """
    if isinstance(spec, (PromptTemplate, ChatTemplate)):
        return spec
    if isinstance(spec, str):
        s = spec.strip()
        if PLACEHOLDER not in spec:
            if s.lower() == "chat":
                return make_template({"chat": True}, tokenizer=tokenizer)
            return get_template(s)
        return PromptTemplate(name="user", text=spec, source="user")
    if isinstance(spec, Mapping):
        spec = dict(spec)
        allowed = {"name", "text", "template", "chat", "system", "user", "tokenizer", "stop"}
        extra = set(spec) - allowed
        if extra:
            raise InputError(f"prompt template spec has unknown key(s) {sorted(extra)}; allowed: "
                             f"{', '.join(sorted(allowed))}.")
        if spec.get("chat"):
            tok = spec.get("tokenizer", tokenizer)
            if tok is None:
                raise InputError("a chat template needs the model's tokenizer: give "
                                 "tokenizer='<path or hub id>' in the spec.")
            kw = {"system": spec.get("system"), "user": spec.get("user", PLACEHOLDER),
                  "name": spec.get("name", "chat")}
            if isinstance(tok, str):
                return ChatTemplate.from_pretrained(tok, **kw)
            return ChatTemplate(tok, **kw)
        if "template" in spec:
            if "text" in spec:
                raise InputError("prompt template spec has both 'template' and 'text'; give one.")
            return get_template(spec["template"])
        if "text" not in spec:
            raise InputError("prompt template spec needs 'text' (containing {question}), 'template' "
                             "(a registered name) or 'chat: true'.")
        if not isinstance(spec["text"], str):
            raise InputError(f"prompt template 'text' must be a string, got {type(spec['text']).__name__}.")
        return PromptTemplate(name=str(spec.get("name", "user")), text=spec["text"], source="user",
                              stop=tuple(spec.get("stop", ())))
    raise InputError(f"cannot make a prompt template from {type(spec).__name__}; give a name, a text "
                     "containing {question}, or a mapping.")
