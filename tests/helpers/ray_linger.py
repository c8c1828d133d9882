"""A test plugin for tests/ray_harness.py: the first work unit drawn on the cluster stores its shard,
then lingers before reporting, so the harness can kill its node in the window "written but not
reported". Loaded through BOUNDARY_PLUGINS in the engine actors (never by boundary itself)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import boundary.sampling.stage as stage

_run_unit = stage.run_unit


def _lingering_run_unit(run, engine, unit, params, **kw):
    result = _run_unit(run, engine, unit, params, **kw)          # the shard is stored now
    d = os.environ.get("BOUNDARY_TEST_LINGER_DIR")
    if d:
        try:
            fd = os.open(Path(d) / "claimed", os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return result                                           # only the first unit lingers
        os.close(fd)
        (Path(d) / f"written-{unit.name}").write_text(str(os.getpid()))
        time.sleep(600)                                             # the harness kills this node meanwhile
    return result


stage.run_unit = _lingering_run_unit
