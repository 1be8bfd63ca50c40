"""The translation catalogs: which source files feed which domain, and `make po`, which
extracts every `_("...")` with Babel and merges it into each language's .po file.

    python tools/catalogs.py           # extract, then update viz/locale/*/LC_MESSAGES/*.po
    python tools/catalogs.py --check   # exit 1, listing them, if any message lacks a translation
    python tools/catalogs.py --domain lessons   # only one domain's catalogs

A new string: wrap it in _() (N_() where it is defined before it is shown), run `make po`,
write its msgstr in viz/locale/zh_CN/LC_MESSAGES/<domain>.po. tests/test_i18n.py fails until then.
"""

import argparse
import datetime
import pathlib
import sys

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from babel.messages.pofile import read_po, write_po

ROOT = pathlib.Path(__file__).resolve().parents[1]
LOCALE_DIR = ROOT / "viz" / "locale"
LANGUAGES = {"zh-CN": "zh_CN"}  # chainrule's language tag -> gettext's folder name
# domain -> the files whose marked strings it holds (globs from the repository's root)
SOURCES = {
    "narration": ["viz/narrate.py", "viz/notation.py", "viz/walk.py", "viz/tangent.py"],
    "pictures": ["viz/dot.py", "viz/path.py", "viz/frames.py", "viz/stepper.py", "viz/text.py",
                 "viz/tape.py", "viz/render.py", "viz/format.py", "viz/palette.py"],
    "player": ["viz/player.js", "viz/player.py"],
    "basics": ["demos/common.py", "demos/plots.py", "demos/lesson0[1-7]_*.py"],
    "training": ["demos/lesson0[89]_*.py", "demos/lesson1[0-4]_*.py"],
    "cli": ["demos/cli.py", "demos/doctor.py", "demos/argparse_messages.py", "demos/cmd_serve.py"],
    "architectures": ["demos/lesson1[5-9]_*.py", "demos/lesson20_*.py"],
    "homework": ["viz/expression.py", "demos/cmd_check.py", "demos/cmd_draw.py",
                 "demos/cmd_exercise.py", "demos/cmd_export.py", "demos/cmd_worksheet.py",
                 "demos/worksheet.py", "demos/exercises/*.py"],
    "derivatives": ["demos/lesson2[12]_*.py"],
    "pytorch": ["demos/lesson23_*.py", "viz/compare.py"],
    "classroom": [
        "viz/misconceptions.py", "classroom/*.py", "classroom/static/*.js",
    ],  # fmt: skip
}  # fmt: skip
NOT_SOURCES = {"viz/i18n.py"}  # its docstring's example is not a message
METHODS = {".py": "python", ".js": "javascript"}
# The header every .po carries; fixed dates, so a re-run of `make po` changes only messages.
HEADER = """# chainrule's {language} translation of the {domain} messages.
# The English source strings are in the code; tools/catalogs.py says which files."""
DATE = datetime.datetime(2026, 12, 1, tzinfo=datetime.timezone.utc)


def new_catalog(domain, locale=None, language=""):
    """An empty catalog with chainrule's header (not marked fuzzy: its fields are filled)."""
    return Catalog(
        locale=locale, domain=domain, project="chainrule", version="0.1", charset="utf-8",
        header_comment=HEADER.format(language=language, domain=domain),
        creation_date=DATE, revision_date=DATE, fuzzy=False,
        last_translator="chainrule", language_team="chainrule", msgid_bugs_address="-",
    )  # fmt: skip


def files(domain):
    """The source files of `domain`, sorted, so templates are stable."""
    found = {p for pattern in SOURCES[domain] for p in ROOT.glob(pattern)}
    return sorted(p for p in found if str(p.relative_to(ROOT)) not in NOT_SOURCES)


def extract(domain):
    """A Babel Catalog of every message marked in `domain`'s files, with where each is used."""
    catalog = new_catalog(domain)
    for path in files(domain):
        method = METHODS[path.suffix]
        for line, message, comments, context in extract_from_file(
            method, str(path), keywords=DEFAULT_KEYWORDS, comment_tags=("TRANSLATORS:",)
        ):
            where = (str(path.relative_to(ROOT)), line)
            catalog.add(message, None, [where], auto_comments=comments, context=context)
    return catalog


def po_path(domain, lang):
    return LOCALE_DIR / LANGUAGES[lang] / "LC_MESSAGES" / f"{domain}.po"


def read(path, lang):
    with path.open("rb") as f:
        return read_po(f, locale=LANGUAGES[lang], domain=path.stem)


def write(catalog, path):
    """Write a .po atomically (a half-written catalog would lose translations)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".po.tmp")
    with tmp.open("wb") as f:
        write_po(f, catalog, width=100, sort_output=False, ignore_obsolete=True)
    tmp.replace(path)


def update(domains=SOURCES):
    """Extract each domain and merge it into each language's .po (new messages left empty,
    messages no longer in the code dropped)."""
    for domain in domains:
        template = extract(domain)
        for lang in LANGUAGES:
            path = po_path(domain, lang)
            if path.is_file():
                catalog = read(path, lang)
                catalog.update(template, no_fuzzy_matching=True)
            else:
                catalog = new_catalog(domain, LANGUAGES[lang], lang)
                catalog.update(template, no_fuzzy_matching=True)
            write(catalog, path)
            print(f"{path.relative_to(ROOT)}: {len(template)} messages")


def missing(domain, lang):
    """The messages of `domain` that `lang`'s .po lacks (or leaves empty or fuzzy)."""
    path = po_path(domain, lang)
    done = {}
    if path.is_file():
        for m in read(path, lang):
            if m.id and not m.fuzzy:
                strings = m.string if isinstance(m.string, (tuple, list)) else [m.string]
                if all(strings):
                    done[m.id if isinstance(m.id, str) else m.id[0]] = m
    wanted = [m.id if isinstance(m.id, str) else m.id[0] for m in extract(domain) if m.id]
    return [w for w in wanted if w not in done]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="list untranslated messages")
    parser.add_argument("--domain", choices=SOURCES, action="append", help="only this one")
    args = parser.parse_args(argv)
    domains = args.domain or list(SOURCES)
    if not args.check:
        update(domains)
        return 0
    gaps = [(d, lang, m) for d in domains for lang in LANGUAGES for m in missing(d, lang)]
    for domain, lang, message in gaps:
        print(f"{lang} {domain}: {message!r}")
    return 1 if gaps else 0


if __name__ == "__main__":
    sys.exit(main())
