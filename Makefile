# The project's verbs. Each creates .venv on first use and installs the project into it.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install demo test lab lint release bench site clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)  ## create .venv and install the toolkit and the labs' stack

demo: install  ## release Lab 1, grade a small cohort, print the grades
	$(BIN)/mle demo

test: install  ## the whole test suite (what CI runs)
	$(BIN)/python -m pytest -n 2 --dist loadgroup

lab: install  ## open JupyterLab on your own copies of the labs (work/)
	$(BIN)/mle lab

lint: install
	$(BIN)/ruff check autograder tests benchmarks

release: install  ## regenerate labs/ from solutions/
	$(BIN)/mle release

site: install  ## the course website (offline, static) in build/site/
	$(BIN)/mle site --out build/site

bench: install  ## mle grade vs plain nbgrader autograde on the same cohort
	$(BIN)/python benchmarks/grade_cohort.py

clean:
	rm -rf demo-output .pytest_cache
