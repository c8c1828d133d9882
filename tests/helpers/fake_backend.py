"""A deterministic fake engine, registered through the same registry as the real backends.

Importing this module registers ``backend: fake``; the CLI imports it when BOUNDARY_PLUGINS names
it. Completions depend only on (seed, index within the chunk), like a seeded engine's.
"""

from __future__ import annotations

import os
import random
import time

from boundary.sampling.backends import Backend, register_backend
from boundary.sampling.types import Completion


class EngineDeadError(RuntimeError):
    """Named as vLLM's: the engine is gone and fails every later request (until a new process)."""


class FakeBackend(Backend):
    name = "fake"

    def __init__(self, model_spec):
        self.spec = model_spec
        self.delay = float(model_spec.engine_args.get("delay_s", 0.0))
        self.fail_problem = model_spec.engine_args.get("fail_problem")     # this problem's chunks always fail
        self.die_once = model_spec.engine_args.get("die_once_file")        # the process dies once (a crash)
        self.dead_once = model_spec.engine_args.get("dead_once_file")      # the engine dies once, process lives
        self.dead = False
        self.calls = 0
        # known success rates: engine_args {"p": {problem_id: p}, "answers": {problem_id: reference}};
        # sample i of a chunk is correct when the chunk's i-th uniform draw (from its seed) is below p
        self.p = {str(k): float(v) for k, v in (model_spec.engine_args.get("p") or {}).items()}
        self.answers = {str(k): str(v) for k, v in (model_spec.engine_args.get("answers") or {}).items()}

    def generate(self, requests, params):
        for req in requests:
            self.calls += 1
            if self.fail_problem is not None and req.problem_id == str(self.fail_problem):
                raise RuntimeError(f"the fake engine always fails on problem {req.problem_id}")
            if self.die_once and not os.path.exists(self.die_once):
                open(self.die_once, "w").close()
                os._exit(1)                              # the engine's process dies mid-unit
            if self.dead_once and not os.path.exists(self.dead_once):
                open(self.dead_once, "w").close()
                self.dead = True
            if self.dead:                                # as vLLM's engine core: dead for every later call
                raise EngineDeadError("EngineCore encountered an issue (fake). See stack trace for the root cause.")
            if self.delay:
                time.sleep(self.delay)
            rng = random.Random(req.seed)
            out = []
            if self.p:
                for _i in range(req.n):
                    u = rng.random()
                    ans = self.answers[req.problem_id] if u < self.p.get(req.problem_id, 0.0) else "999999"
                    out.append(Completion(f"Draw {u:.6f}. The answer is \\boxed{{{ans}}}.", "stop",
                                          len(req.prompt), 12))
                yield req, out
                continue
            for _i in range(req.n):
                k = rng.randint(0, 9)
                if "```" in req.prompt:          # a code prompt: answer with a (wrong) program
                    out.append(Completion(f"```python\ndef solve():\n    return {k}\n```", "stop",
                                          len(req.prompt), 20))
                    continue
                if k == 9:
                    out.append(Completion("Let me think... " * 3, "length", len(req.prompt), params.max_tokens))
                else:
                    out.append(Completion(f"Reasoning {rng.random():.6f}. The answer is \\boxed{{{k}}}.", "stop",
                                          len(req.prompt), 12))
            yield req, out

    def info(self):
        return {"backend": "fake", "version": "1", "pid": os.getpid()}


register_backend("fake", FakeBackend)
