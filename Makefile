# posetrack-plugins — the commands of the README.
PYTHON ?= .venv/bin/python
SYNTH_DIR ?= data/synthetic
PYTEST_ARGS ?=
# 2 pytest workers x 1 torch thread: the 2 cores stay busy without oversubscription
PYTEST_WORKERS ?= 2

.PHONY: install test test-fast configs-doc data demo bench clean help

help:
	@echo "make install  create .venv with the pinned OpenMMLab stack + this project (idempotent)"
	@echo "make test     install, then run the test suite (pytest; the config harness included)"
	@echo "make test-fast  the suite without the paper-scale config runs (-m 'not slow')"
	@echo "make configs-doc  run the config harness and write docs/configs.md (CPU s per config)"
	@echo "make data     generate the embedded synthetic dataset into $(SYNTH_DIR)"
	@echo "make demo     install, generate data, train tiny detector + pose model, test, track"
	@echo "make bench    run the benchmark scripts in benchmarks/"

install:
	bash tools/install.sh

test: install
	OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 $(PYTHON) -m pytest tests -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

test-fast: install
	OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 $(PYTHON) -m pytest tests -n $(PYTEST_WORKERS) --dist loadfile -m "not slow" $(PYTEST_ARGS)

configs-doc: install
	rm -f work_dirs/config_harness.jsonl && mkdir -p work_dirs
	CONFIG_HARNESS_TIMINGS=$(CURDIR)/work_dirs/config_harness.jsonl OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 \
	  $(PYTHON) -m pytest tests/test_configs -n $(PYTEST_WORKERS) --dist loadfile -q $(PYTEST_ARGS) || true
	$(PYTHON) tests/test_configs/report.py work_dirs/config_harness.jsonl > docs/configs.md

data: install
	@if [ -f $(SYNTH_DIR)/annotations/val.json ]; then \
	  echo "[data] $(SYNTH_DIR) exists (delete it to regenerate)"; \
	else \
	  $(PYTHON) tools/dataset_converters/make_synthetic.py --out $(SYNTH_DIR); \
	fi

demo: data
	$(PYTHON) tools/run_demo.py --data $(SYNTH_DIR) --work-dir work_dirs/demo

bench: install
	@for f in benchmarks/bench_*.py; do echo "== $$f"; $(PYTHON) $$f || exit 1; done

clean:
	rm -rf work_dirs .pytest_cache
