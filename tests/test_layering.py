"""The dependency direction: autograd and nn never import viz or graphviz."""

import subprocess
import sys


def test_autograd_and_nn_import_without_viz_or_graphviz():
    code = (
        "import sys, autograd, nn; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('viz', 'graphviz')]; "
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_viz_draws_models_without_importing_nn():
    code = "import sys, viz; print(','.join(m for m in sys.modules if m.split('.')[0] == 'nn'))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
