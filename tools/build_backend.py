"""chainrule's build: setuptools' own, after Babel compiles the translations (.po -> .mo).

pyproject.toml names this module as the build backend (backend-path = ["tools"]), so a wheel
or an editable install built by pip anywhere carries compiled catalogs; only the .po sources
are in git.
"""

import os
import pathlib

from setuptools import build_meta
from setuptools.build_meta import *  # noqa: F403  (every hook we do not wrap, unchanged)

LOCALE_DIR = pathlib.Path("viz") / "locale"  # pip runs a build backend in the project's root


def compile_catalogs():
    """Write each viz/locale/*/LC_MESSAGES/*.po beside itself as .mo, atomically."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in sorted(LOCALE_DIR.glob("*/LC_MESSAGES/*.po")):
        with po.open("rb") as f:
            catalog = read_po(f)
        tmp = po.with_suffix(".mo.tmp")
        with tmp.open("wb") as f:
            write_mo(f, catalog)
        os.replace(tmp, po.with_suffix(".mo"))


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    compile_catalogs()
    return build_meta.build_wheel(wheel_directory, config_settings, metadata_directory)


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    compile_catalogs()
    return build_meta.build_editable(wheel_directory, config_settings, metadata_directory)
