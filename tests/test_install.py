"""A real install, as a student gets it: the wheel is built from a copy of the working tree,
installed (not editable) into a fresh virtual environment with the notebook and plot extras,
and used from a folder outside the repo with only that environment's bin on PATH: no system
`dot`, so graphviz-pure draws everything. A lesson, its player page and the classroom notebook
must all work from there, and the wheel must hold every file the packages read at run time."""

import json
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest

pytestmark = [pytest.mark.install, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("autograd", "nn", "viz", "demos")
# What setuptools may leave in the tree it builds from, and what a checkout keeps beside it.
NOT_SOURCE = (".git", ".venv", "out", "build", "dist", "*.egg-info", "__pycache__", ".*_cache")
NOTEBOOK_LINE = 'demos = ["classroom.ipynb"]'  # under [tool.setuptools.package-data]


def run(command, **options):
    """Run a command; on failure, fail the test with what it printed."""
    done = subprocess.run(command, capture_output=True, text=True, check=False, **options)
    if done.returncode != 0:
        pytest.fail(f"{command[:3]} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The wheel, and a fresh venv with it installed; `env` is what a student's shell has."""
    top = tmp_path_factory.mktemp("install")
    # Build from a copy, so setuptools' build/ and *.egg-info never land in the checkout.
    source = top / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*NOT_SOURCE))
    # pip's own environment (index, cache, certificates), but none of this test run's Python.
    pip_env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    started = time.perf_counter()
    # Build isolation fetches setuptools as pyproject's build-system asks, as pip does for users.
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", top / "dist", source])
    (wheel,) = (top / "dist").glob("chainrule-*.whl")
    built = time.perf_counter()
    venv = top / "venv"
    run([sys.executable, "-m", "venv", venv])
    bin_ = venv / "bin"
    run([bin_ / "python", "-m", "pip", "install", "-q", f"{wheel}[notebook,plot]"], env=pip_env)
    print(f"wheel built in {built - started:.1f}s, installed in {time.perf_counter() - built:.1f}s")
    # PATH holds the venv's bin alone: nothing chainrule, Jupyter or the kernel run is missing
    # from it, and no `dot`. A home of its own keeps the user's Jupyter and pip config out.
    home = top / "home"
    home.mkdir()
    env = {"PATH": str(bin_), "HOME": str(home), "LANG": "C.UTF-8"}
    assert shutil.which("dot", path=env["PATH"]) is None
    return SimpleNamespace(wheel=wheel, source=source, venv=venv, bin=bin_, env=env, top=top)


@pytest.fixture(scope="module")
def lesson(installed):
    """`chainrule run chain-rule --out lesson`, run by a student in a folder of their own."""
    folder = installed.top / "student"
    folder.mkdir()
    command = [installed.bin / "chainrule", "run", "chain-rule", "--out", "lesson"]
    done = subprocess.run(
        command, capture_output=True, text=True, check=False, cwd=folder, env=installed.env
    )
    return SimpleNamespace(done=done, out=folder / "lesson")


def test_the_wheel_ships_every_file_of_the_packages(installed):
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    # The files lessons read at run time: the player's page (importlib.resources, viz/player.py)
    # and the classroom notebook.
    assert {"viz/player.html", "viz/player.css", "viz/player.js"} <= names
    assert "demos/classroom.ipynb" in names, f"add {NOTEBOOK_LINE} to pyproject's package-data"
    # And nothing else in the packages is left behind: a new data file needs package-data too.
    in_tree = {
        path.relative_to(installed.source).as_posix()
        for package in PACKAGES
        for path in (installed.source / package).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert sorted(in_tree - names) == []


def test_the_wheel_carries_each_catalog_compiled_at_build_time(installed):
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    sources = {n for n in names if n.startswith("viz/locale/") and n.endswith(".po")}
    assert len(sources) >= 6  # one per domain (viz/i18n.py DOMAINS)
    assert {n[:-3] + ".mo" for n in sources} <= names  # tools/build_backend.py compiled them


def test_the_installed_command_speaks_chinese_when_the_environment_asks(installed):
    folder = installed.top / "student-zh"
    folder.mkdir()
    env = dict(installed.env, LANG="zh_CN.UTF-8")
    done = run([installed.bin / "chainrule", "run", "chain-rule", "--out", "lesson"],
               cwd=folder, env=env)  # fmt: skip
    assert "前向传播" in done.stdout and "反向传播" in done.stdout
    assert "-12" in done.stdout  # f = (x + y) z at (-2, 5, -4): numbers stay numbers
    assert (folder / "lesson" / "backprop.html").read_text(encoding="utf-8").count('lang="zh-CN"')


def test_a_lesson_runs_from_the_installed_command_drawn_by_graphviz_pure(lesson):
    assert lesson.done.returncode == 0, lesson.done.stderr
    assert lesson.done.stderr == ""
    assert "lesson/graph.svg" in lesson.done.stdout  # the 'Open:' list names what it wrote
    svg = (lesson.out / "graph.svg").read_text(encoding="utf-8")
    assert re.search(r"<!-- Generated by graphviz version \S+ \(graphviz-pure\)", svg)
    assert (lesson.out / "backprop.html").is_file()


@pytest.mark.browser
def test_the_lesson_pages_show_the_numbers_and_the_player_steps_by_key(lesson, browser):
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1280, "height": 720})
    errors = []
    page = context.new_page()
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        # f = (x + y) z at (-2, 5, -4): f is v4, and x, y, z are v0, v1, v3.
        page.goto((lesson.out / "graph.svg").as_uri())
        expect(page.locator("#v4-data text")).to_have_text("-12")
        for i, grad in ((0, "-4"), (1, "-4"), (3, "3")):
            expect(page.locator(f"#v{i}-grad text")).to_have_text(grad)

        page.goto((lesson.out / "backprop.html").as_uri())
        counter = page.locator("#counter")
        expect(counter).to_have_text("step 1 / 10")
        expect(page.locator("#v4-data text")).to_have_text("?")  # f is not computed yet
        page.keyboard.press("ArrowRight")
        expect(counter).to_have_text("step 2 / 10")
        page.keyboard.press("End")
        expect(counter).to_have_text("step 10 / 10")
        expect(page.locator("#v0-grad text")).to_have_text("-4")  # x's gradient, revealed
    finally:
        context.close()
    assert errors == []


def test_the_installed_notebook_runs_in_the_fresh_venv_and_writes_under_out(installed):
    folder = installed.top / "classroom"  # outside the repo: there, `import demos` is its own
    folder.mkdir()
    where = [installed.bin / "python", "-c", "import demos, importlib.resources as r"]
    where[-1] += "; print(r.files('demos') / 'classroom.ipynb')"
    shipped = Path(run(where, cwd=folder, env=installed.env).stdout.strip())
    assert installed.venv in shipped.parents  # the installed package, not the checkout's
    assert shipped.is_file(), f"the wheel has no classroom.ipynb: add {NOTEBOOK_LINE}"
    notebook = json.loads(shipped.read_text(encoding="utf-8"))
    # One more cell at the end says which Python ran the kernel and which chainrule it imported.
    check = "import sys, viz; print(sys.prefix); print(viz.__file__)"
    notebook["cells"].append(
        {
            "cell_type": "code",
            "metadata": {},
            "source": check,
            "outputs": [],
            "execution_count": None,
        }
    )
    (folder / "classroom.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
    run(
        [installed.bin / "jupyter", "nbconvert", "--to", "notebook", "--execute"]
        + ["classroom.ipynb", "--output", "executed.ipynb"],
        cwd=folder,
        env=installed.env,
    )

    cells = json.loads((folder / "executed.ipynb").read_text(encoding="utf-8"))["cells"]
    outputs = [o for c in cells if c["cell_type"] == "code" for o in c["outputs"]]
    assert [o for o in outputs if o["output_type"] == "error"] == []
    warned = [o for o in outputs if o.get("name") == "stderr" and "Warning" in "".join(o["text"])]
    assert warned == []  # e.g. tqdm's "IProgress not found": the extra brings ipywidgets
    pictures = [o["data"]["image/svg+xml"] for o in outputs if "image/svg+xml" in o.get("data", {})]
    assert pictures and all("(graphviz-pure)" in "".join(svg) for svg in pictures)
    said = "".join("".join(o["text"]) for o in cells[-1]["outputs"] if o.get("name") == "stdout")
    prefix, viz_file = said.split()
    assert os.path.samefile(prefix, installed.venv)
    assert installed.venv in Path(viz_file).parents
    # With no checkout around it, the notebook writes under ./out, never into site-packages.
    written = {p.name for p in (folder / "out").rglob("*") if p.is_file()}
    assert {"chain-rule.svg", "chain-rule.html"} <= written
    assert not (Path(viz_file).parents[1] / "out").exists()
