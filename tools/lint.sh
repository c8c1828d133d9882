#!/usr/bin/env bash
# The static checks of CI: ruff (pyproject [tool.ruff]), mypy (pyproject [tool.mypy]) and, when
# it is installed, import-linter's layers contract (pyproject [tool.importlinter]).
# Usage: tools/lint.sh [PYTHON]   (default: .venv/bin/python if present, else python3)
# Runs every check even when one fails; exits non-zero if any failed.
set -uo pipefail
cd "$(dirname "$0")/.."
PY="${1:-}"
if [ -z "$PY" ]; then
    if [ -x .venv/bin/python ]; then PY=.venv/bin/python; else PY=python3; fi
fi
status=0
run() {
    echo "+ $*"
    "$@" || status=1
}
run "$PY" -m ruff check src tests tools bench examples
run "$PY" -m mypy src/boundary
# lint-imports is import-linter's console script: next to the interpreter (a venv), else on PATH
LINT_IMPORTS="$(dirname "$PY")/lint-imports"
[ -x "$LINT_IMPORTS" ] || LINT_IMPORTS="$(command -v lint-imports || true)"
if [ -n "$LINT_IMPORTS" ] && "$PY" -c "import importlinter" 2>/dev/null; then
    run "$LINT_IMPORTS" --no-cache
else
    echo "lint-imports: import-linter is not installed; the layers contract is not checked"
fi
exit $status
