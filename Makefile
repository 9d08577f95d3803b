# posetrack-plugins — the commands of the README.
PYTHON ?= .venv/bin/python
SYNTH_DIR ?= data/synthetic
PYTEST_ARGS ?=
# 2 pytest workers x 1 torch thread: the 2 cores stay busy without oversubscription
PYTEST_WORKERS ?= 2

.PHONY: install test data demo bench clean help

help:
	@echo "make install  create .venv with the pinned OpenMMLab stack + this project (idempotent)"
	@echo "make test     install, then run the test suite (pytest)"
	@echo "make data     generate the embedded synthetic dataset into $(SYNTH_DIR)"
	@echo "make demo     install, generate data, train tiny detector + pose model, test, track"
	@echo "make bench    run the benchmark scripts in benchmarks/"

install:
	bash tools/install.sh

test: install
	OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 $(PYTHON) -m pytest tests -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

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
