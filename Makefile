# Two commands on a fresh machine with Python 3 and make:
#   make lab    open the course in JupyterLab
#   make test   run every test (unit tests, notebooks with nbval, grading, browser)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: lab test test-portable lock notebooks exercises bench lint clean

# one BLAS thread per process: the test run already uses both cores (pytest -n 2)
export OPENBLAS_NUM_THREADS ?= 1
export OMP_NUM_THREADS ?= 1

# The exact versions the stored outputs were recorded with (requirements/lock.txt, `make lock`);
# pyproject.toml keeps ranges for people who pip install the package. `crosscheck` is PyTorch
# (CPU build) for the float64 comparisons; CI fails without it.
EXTRAS ?= dev,crosscheck
$(STAMP): pyproject.toml requirements/lock.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements/lock.txt -e ".[$(EXTRAS)]"
	touch $(STAMP)

# JupyterLab refuses to start as root (containers, Binder-like machines) without --allow-root
lab: $(STAMP)
	$(BIN)/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) notebooks/00_start_here.ipynb

# Two phases: everything in parallel on two workers, then the tests that start many kernels
# or a browser (nbgrader grading, JupyterLab in Chromium) on their own.
test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadscope -m "not serial"
	$(BIN)/python -m pytest -m serial

# nbval over every lesson and solution under other CPUs' kernels, one configuration at a time
# (OPENBLAS_CORETYPE families, NumPy's SIMD paths off); names the cells whose output differs
test-portable: $(STAMP)
	$(BIN)/python tools/test_portable.py notebooks solutions

# re-record requirements/lock.txt from this environment (README, "Upgrading the pinned versions")
lock: $(STAMP)
	$(BIN)/python tools/lock.py

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
