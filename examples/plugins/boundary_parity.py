"""A complete boundary plugin: a toy task kind with its own benchmark, verifier and backend.

The task: "Is N even or odd?"; the answer is the last word of the response. Run it end to end
without a GPU or a model (the ``coin`` backend answers at random, seeded like a real engine)::

    PYTHONPATH=examples/plugins BOUNDARY_PLUGINS=boundary_parity boundary run examples/plugins/parity.yaml

Everything here uses public names only: ``boundary.tasks`` (Problem, TaskKind, Verdict, VerifyItem,
register_benchmark, register_kind) and ``boundary.sampling`` (Backend, Completion,
register_backend). ``docs/plugins.md`` explains each part.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from boundary.errors import InputError
from boundary.sampling import Backend, ChunkRequest, Completion, SamplingParams, register_backend
from boundary.tasks import Problem, TaskKind, Verdict, VerifyItem, register_benchmark, register_kind

KIND = "parity"


# 1. A benchmark: a loader returns Problems whose metadata names the task kind.
def load_parity(name: str, source: str | Path | None = None, *, size: int = 20) -> list[Problem]:
    """``size`` problems 1..size, or the numbers in ``source`` (a JSON list)."""
    if source is not None:
        path = Path(source)
        if not path.is_file():
            raise InputError("the file does not exist; pass a JSON list of integers.", path=str(path))
        numbers = [int(x) for x in json.loads(path.read_text())]
    else:
        numbers = list(range(1, int(size) + 1))
    return [Problem(name, str(k), f"Is {k} even or odd?", "even" if k % 2 == 0 else "odd", {"kind": KIND, "n": k})
            for k in numbers]


# 2. A verifier: the Verifier protocol (name, verify_batch, close).
class ParityVerifier:
    name = "parity-last-word-1"

    def __init__(self, config: object = None):
        self.strict_case = bool(getattr(config, "strict_case", False))

    def verify_batch(self, items: Sequence[VerifyItem], progress: Callable[[int], None] | None = None
                     ) -> list[Verdict]:
        out = []
        for it in items:
            if it.finish_reason == "length":
                out.append(Verdict("truncated", None, "finish_reason", "hit the token limit"))
                continue
            words = it.response.replace(".", " ").split()
            if not words:
                out.append(Verdict("no_answer", None, "extract", "empty response"))
                continue
            answer = words[-1] if self.strict_case else words[-1].lower()
            status = "correct" if answer == it.problem.reference else "wrong"
            out.append(Verdict(status, words[-1], "last-word", None))
        if progress:
            progress(len(out))
        return out

    def close(self) -> None:
        pass


# 3. A task kind: how a problem becomes a prompt, and which verifier grades it.
def parity_prompt(problem: Problem, template: object) -> str:
    return f"Question: {problem.question}\nAnswer with one word.\nAnswer:"


# 4. A backend: a seeded random "model" that says even with probability p (engine_args: p).
class CoinBackend(Backend):
    name = "coin"

    def __init__(self, model_spec):
        self.p = float(model_spec.engine_args.get("p", 0.5))
        if not 0 <= self.p <= 1:
            raise InputError(f"model {model_spec.name!r}: engine_args.p must be in [0, 1], got {self.p}.")

    def generate(self, requests: Sequence[ChunkRequest], params: SamplingParams
                 ) -> Iterator[tuple[ChunkRequest, list[Completion]]]:
        for r in requests:
            rng = random.Random(r.seed)
            yield r, [Completion(" even" if rng.random() < self.p else " odd", "stop", len(r.prompt), 1)
                      for _ in range(r.n)]

    def info(self) -> dict:
        return {"backend": self.name, "p": self.p}


register_benchmark("parity", load_parity, options=("size",), description="Is N even or odd? (toy)")
register_kind(TaskKind(KIND, ParityVerifier, parity_prompt, description="the parity of a number (toy)"))
register_backend("coin", CoinBackend)
