"""docs/cli.md is the CLI's own --help (tools/gen_cli_docs.py); it must not drift from the code."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _generator():
    spec = importlib.util.spec_from_file_location("gen_cli_docs", ROOT / "tools" / "gen_cli_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cli_docs_are_current():
    gen = _generator()
    current = gen.OUT.read_text(encoding="utf-8") if gen.OUT.exists() else ""
    assert current == gen.render(), (
        "docs/cli.md is stale: it no longer matches the CLI's --help. Run `python tools/gen_cli_docs.py` "
        "and commit docs/cli.md.")


def _leaf_commands(gen) -> set[str]:
    """``boundary import counts``, ``boundary run``, ...: every command that runs something."""
    root = gen._command()
    return {" ".join(path) for path, ctx in gen._walk(root, gen._context(root, "boundary"), ("boundary",))
            if not hasattr(ctx.command, "list_commands")}


def test_readme_command_table_matches_the_cli():
    """Every row of the README's command table names a real command, and every command has a row."""
    gen = _generator()
    leaves = _leaf_commands(gen)
    rows = re.findall(r"^\| `(boundary [^`]*)` \|", (ROOT / "README.md").read_text(encoding="utf-8"), re.M)
    assert rows, "README.md has no command table"
    named = set()
    for row in rows:
        words = row.split()
        # the longest prefix of the row that is a command: `boundary import paper FILE --run R` -> import paper
        prefix = max((" ".join(words[:i]) for i in range(1, len(words) + 1) if " ".join(words[:i]) in leaves),
                     key=len, default=None)
        assert prefix is not None, f"README.md's command table lists `{row}`, which is not a boundary command"
        named.add(prefix)
    assert named == leaves, f"commands missing from README.md's command table: {sorted(leaves - named)}"
