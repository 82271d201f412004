# Two commands on a fresh machine with Python 3 and make:
#   make lab    open the course in JupyterLab (make teach: the same with nbgrader's tools)
#   make test   run every test (unit tests, notebooks with nbval, grading, browser)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: lab teach test test-portable lock notebooks exercises grade student-release bench bench-grid lint clean site

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

# JupyterLab serves the repository root (so a lesson's link ../exercises/NN_x.ipynb opens) and
# starts at lesson 00. Its configuration is project-local (.jupyter/, see .jupyter/README.md):
# nothing in ~/.jupyter is read or changed. `make lab`: learners, nbgrader's tools and the news
# pop-up off; `make teach`: the same course with nbgrader's tools on. JupyterLab refuses to start
# as root (containers, Binder-like machines) without --allow-root.
LAB = JUPYTER_DATA_DIR=$(CURDIR)/.jupyter/data $(BIN)/jupyter lab --ServerApp.root_dir=$(CURDIR) \
      --LabApp.default_url=/lab/tree/notebooks/00_start_here.ipynb \
      $(if $(filter 0,$(shell id -u)),--allow-root)

lab: $(STAMP)
	JUPYTER_CONFIG_DIR=$(CURDIR)/.jupyter/learner $(LAB)

teach: $(STAMP)
	JUPYTER_CONFIG_DIR=$(CURDIR)/.jupyter/teach $(LAB)

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

# Autograde one assignment in an nbgrader course directory, then scan every submission for
# attempts to game the grader (README, "Grading safely"); exit status 1 when one is flagged.
#   make grade COURSE=~/vanishing-course ASSIGNMENT=01_chain_rule_decay
COURSE ?= .
ASSIGNMENT ?= $(error set ASSIGNMENT=NN_topic, e.g. make grade COURSE=~/course ASSIGNMENT=01_chain_rule_decay)
grade: $(STAMP)
	cd $(COURSE) && PATH=$(CURDIR)/$(BIN):$$PATH nbgrader autograde $(ASSIGNMENT)
	$(BIN)/python tools/scan_submission.py $(COURSE)/submitted/*/$(ASSIGNMENT)

# The course without solutions/ (for a graded class) in _build/student-release: the committed
# files only (git archive), so nothing untracked or ignored slips in.
student-release:
	rm -rf _build/student-release && mkdir -p _build/student-release
	git archive --format=tar HEAD -- . ':(exclude)solutions' | tar -x -C _build/student-release
	@echo "_build/student-release: $$(find _build/student-release -type f | wc -l) files, no solutions/"

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

# ours against PyTorch (the crosscheck extra) on grids of MLPs and recurrent nets, and peak memory;
# each prints a table with its worst ratio last (about 25 minutes)
bench-grid: $(STAMP)
	$(BIN)/python benchmarks/grid.py
	$(BIN)/python benchmarks/memory.py
	$(BIN)/python benchmarks/recurrent_vs_torch.py

# the static course site from the stored outputs (no execution) into _build/site;
# `make site SITE_SOLUTIONS=0` leaves the instructors' solutions out
SITE_SOLUTIONS ?= 1
site: $(STAMP)
	SITE_SOLUTIONS=$(SITE_SOLUTIONS) $(BIN)/python tools/build_site.py

# ruff, then mypy (configured in pyproject.toml: the package type-checks and every function
# annotates its parameters and return)
lint: $(STAMP)
	$(BIN)/ruff check vanishing tests benchmarks tools
	$(BIN)/python -m mypy vanishing

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
