# Two commands do everything: `make demo` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
comma  := ,
# Lessons plot with matplotlib and read digits through scikit-learn; slide handouts (PDF) bind
# their pages with pypdf; `chainrule serve` runs on Starlette and uvicorn: all come with make.
# Where a Chromium is installed, Playwright too, so `make test` runs the browser tests (it
# drives that Chromium; it downloads none).
CHROMIUM := $(shell command -v chromium || command -v chromium-browser || command -v google-chrome)
EXTRAS ?= dev,plot,digits,slides,serve$(if $(CHROMIUM),$(comma)browser)
# Reinstall when pyproject.toml or the wanted extras change, and only then.
STAMP   = $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)-$(subst $(comma),-,$(EXTRAS))

.PHONY: setup demo test bench notebook lint dot clean po

setup: $(STAMP) dot

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[$(EXTRAS)]"
	@rm -f $(VENV)/.installed-*
	@touch $@

# Pictures are drawn by graphviz-pure from pip; this only says what Graphviz's dot would add.
dot:
	@sh tools/ensure-dot.sh

demo: setup
	$(VENV)/bin/chainrule run chain-rule

test: setup
	$(PY) -m pytest -q

# A target's own extras need a second make: the stamp's name is fixed when make reads this file.
bench:
	@$(MAKE) --no-print-directory setup EXTRAS=$(EXTRAS),bench
	$(PY) -m benchmarks

# JupyterLab on the classroom notebook, the repository as its file browser's root (so
# out/classroom shows). On a server: make notebook ARGS=--no-browser (as root: --allow-root).
# In Chinese: make notebook NOTEBOOK=demos/classroom.zh-CN.ipynb
NOTEBOOK ?= demos/classroom.ipynb
notebook:
	@$(MAKE) --no-print-directory setup EXTRAS=$(EXTRAS),notebook
	$(VENV)/bin/jupyter lab --ServerApp.root_dir=. $(NOTEBOOK) $(ARGS)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check autograd nn viz demos tests benchmarks classroom

# After marking a new string _("..."): extract every domain and merge it into the .po files.
po: setup
	$(PY) tools/catalogs.py

clean:
	rm -rf $(VENV) out .pytest_cache .ruff_cache .hypothesis

# The pictures the README shows (docs/*.svg, *.png), regenerated from the lessons; committed.
.PHONY: docs
docs:
	@$(MAKE) --no-print-directory setup EXTRAS=dev,plot,digits,slides,serve,browser
	$(PY) docs/pictures.py
