"""What the lesson and notebook tests share: running a notebook as a student's Jupyter does."""

import os
import pathlib
import sys

import pytest


def _execute_in_kernel(notebook, folder, tmp_path, **env):
    """Run `notebook` (an nbformat node, changed in place) in a python3 kernel started in
    `folder`, as `jupyter nbconvert --execute` does: only this venv's bin on PATH (so
    graphviz-pure draws, never /usr/bin/dot), files under tmp_path/out, plus `env`.
    Raises CellExecutionError, with the traceback, if a cell fails."""
    from nbclient import NotebookClient

    venv_bin = str(pathlib.Path(sys.executable).parent)
    environ = dict(
        os.environ,
        PATH=venv_bin,
        CHAINRULE_RENDERER="graphviz-pure",
        CHAINRULE_OUT=str(tmp_path / "out"),
        **env,
    )
    environ.pop("MPLBACKEND", None)  # the kernel's own inline backend, as a student gets
    client = NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=120,  # seconds per cell
        resources={"metadata": {"path": str(folder)}},  # the kernel's cwd
    )
    client.execute(env=environ)
    return notebook


@pytest.fixture
def execute_in_kernel():
    """_execute_in_kernel, for the notebook tests (a test file cannot import conftest)."""
    return _execute_in_kernel
