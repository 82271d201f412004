# Two commands on a fresh machine with Python 3 and make:
#   make lab    open the course in JupyterLab
#   make test   run every test (unit tests, notebooks with nbval, grading, browser)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: lab test notebooks exercises bench lint clean

# one BLAS thread per process: the test run already uses both cores (pytest -n 2)
export OPENBLAS_NUM_THREADS ?= 1
export OMP_NUM_THREADS ?= 1

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

# JupyterLab refuses to start as root (containers, Binder-like machines) without --allow-root
lab: $(STAMP)
	$(BIN)/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) notebooks/00_start_here.ipynb

# Two phases: everything in parallel on two workers, then the tests that start many kernels
# or a browser (nbgrader grading, JupyterLab in Chromium) on their own.
test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadscope -m "not serial"
	$(BIN)/python -m pytest -m serial

notebooks: $(STAMP)
	$(BIN)/python tools/run_notebooks.py notebooks/*.ipynb solutions/*.ipynb

exercises: $(STAMP)
	$(BIN)/python tools/make_exercises.py

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

lint: $(STAMP)
	$(BIN)/ruff check vanishing tests benchmarks tools

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
