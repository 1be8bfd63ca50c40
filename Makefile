# Two commands do everything: `make demo` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
# Lessons plot with matplotlib and read digits through scikit-learn; slide handouts (PDF) bind
# their pages with pypdf: all come with make.
EXTRAS ?= dev,plot,digits,slides
# Reinstall when pyproject.toml or the wanted extras change, and only then.
STAMP   = $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)-$(subst $(comma),-,$(EXTRAS))
comma  := ,

.PHONY: setup demo test bench lint dot clean

setup: $(STAMP) dot

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[$(EXTRAS)]"
	@rm -f $(VENV)/.installed-*
	@touch $@

# Graphviz's `dot` renders the pictures; the Python package alone cannot.
dot:
	@sh tools/ensure-dot.sh

demo: setup
	$(VENV)/bin/chainrule run chain-rule

test: setup
	$(PY) -m pytest -q

bench: EXTRAS = dev,plot,digits,slides,bench
bench: setup
	$(PY) -m benchmarks

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check autograd nn viz demos tests benchmarks

clean:
	rm -rf $(VENV) out .pytest_cache .ruff_cache .hypothesis

# The pictures the README shows (docs/*.svg, *.png), regenerated from the lessons; committed.
.PHONY: docs
docs: EXTRAS = dev,plot,digits,slides,browser
docs: setup
	$(PY) docs/pictures.py
