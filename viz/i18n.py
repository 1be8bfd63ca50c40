"""Languages: every word a student sees exists in English and in Chinese (zh-CN).

English is written in the source, marked `_("...")`. Babel extracts the marked strings into
one template per domain (tools/catalogs.py, `make po`), the translations live in
viz/locale/zh_CN/LC_MESSAGES/<domain>.po, and the build compiles them to .mo files
(tools/build_backend.py), which the standard library's gettext reads.

    with i18n.language("zh-CN"):          # or lang="zh-CN" on backprop_html, narrate, ...
        print(_("Forward pass"))           # 前向传播

The language is `lang=` where a function takes one, else the innermost `language(...)` block,
else the environment (LANGUAGE, LC_ALL, LC_MESSAGES, LANG, as gettext reads them), else English.
"""

import contextlib
import contextvars
import functools
import gettext
import io
import os
import pathlib

LANGUAGES = {"en": "English", "zh-CN": "简体中文"}
# One catalog per part of chainrule, so each is translated (and reviewed) on its own:
# tools/catalogs.py lists the files each holds. Lessons 1-7 are the basics, 8-14 training,
# 15-20 architectures, 21-22 derivatives (forward mode, second derivatives), classroom the
# live class (misconception hints).
DOMAINS = (
    "narration", "pictures", "player", "basics", "training", "architectures", "cli", "homework",
    "derivatives", "pytorch", "classroom",
)  # fmt: skip
LOCALE_DIR = pathlib.Path(__file__).with_name("locale")
GETTEXT_NAMES = {"zh-CN": "zh_CN"}  # the folder gettext expects under locale/

_chosen = contextvars.ContextVar("chainrule_language", default=None)


class CatalogError(RuntimeError):
    """A language's compiled catalog is missing and cannot be compiled here."""


def normalise(lang):
    """'zh', 'zh_CN.UTF-8', 'zh-Hans', 'zh-cn' -> 'zh-CN'; 'en_GB', 'C' -> 'en'; else None."""
    tag = str(lang).split(".")[0].split("@")[0].replace("_", "-").strip().lower()
    if tag in ("zh", "zh-cn", "zh-sg", "zh-hans", "zh-hans-cn", "zh-hans-sg"):
        return "zh-CN"
    if tag in ("c", "posix") or tag == "en" or tag.startswith("en-"):
        return "en"
    return None


def from_environment(environ=None):
    """The language the environment asks for, as gettext reads it; English if none we have."""
    environ = os.environ if environ is None else environ
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name)
        if not value:
            continue
        # LANGUAGE may list several, best first ("zh_CN:en"); the others hold one.
        for item in value.split(":") if name == "LANGUAGE" else [value]:
            found = normalise(item)
            if found:
                return found
        if name != "LANGUAGE":  # the first of LC_ALL, LC_MESSAGES, LANG that is set decides
            return "en"
    return "en"


def resolve(lang=None, where="lang"):
    """`lang` as one of LANGUAGES' keys; None: the current language. Else a ValueError."""
    if lang is None:
        return current()
    found = normalise(lang) if isinstance(lang, str) else None
    if found is None:
        allowed = ", ".join(repr(k) for k in LANGUAGES)
        raise ValueError(f"{where}: lang={lang!r}; choose one of {allowed} (or None)")
    return found


def current():
    """The language in force here: the innermost language(...) block, else the environment."""
    return _chosen.get() or from_environment()


@contextlib.contextmanager
def language(lang):
    """Speak `lang` inside the block (None: keep the current one); restored on the way out."""
    token = _chosen.set(resolve(lang))
    try:
        yield _chosen.get()
    finally:
        _chosen.reset(token)


def _compiled(po):
    """The .mo bytes for `po`: the built file when it is up to date, else Babel compiles it."""
    mo = po.with_suffix(".mo")
    if mo.is_file() and mo.stat().st_mtime >= po.stat().st_mtime:
        return mo.read_bytes()
    try:  # a checkout where the .po changed since the build: Babel (the dev extra) is here
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po
    except ImportError:
        if mo.is_file():
            return mo.read_bytes()  # older than its source, but the best there is
        raise CatalogError(
            f"the {po.parent.parent.name} catalog {po.name} is not compiled: reinstall chainrule "
            "(pip install .) or pip install babel"
        ) from None
    with po.open("rb") as f:
        catalog = read_po(f)
    out = io.BytesIO()
    write_mo(out, catalog)
    return out.getvalue()


@functools.cache
def _domain(lang, domain):
    """One domain's compiled catalog for `lang` (None where it has no .po), read once."""
    po = LOCALE_DIR / GETTEXT_NAMES[lang] / "LC_MESSAGES" / f"{domain}.po"
    return gettext.GNUTranslations(io.BytesIO(_compiled(po))) if po.is_file() else None


@functools.cache
def translations(lang):
    """The gettext translations for `lang`, every domain chained (English: none needed)."""
    chained = gettext.NullTranslations()  # each domain falls back to the next (built once)
    if lang != "en":
        for domain in DOMAINS:
            if _domain(lang, domain) is not None:
                chained.add_fallback(_domain(lang, domain))
    return chained


def _(message):
    """`message` in the current language (English text is its own translation)."""
    return translations(current()).gettext(message)


def ngettext(singular, plural, n):
    """The singular or plural of a message for count `n`, in the current language."""
    return translations(current()).ngettext(singular, plural, n)


def pgettext(context, message):
    """`message` as meant in `context` ("column", "button"...): for a short English word that
    two places translate differently (every domain shares one lookup, so a bare "steps" could
    only have one translation)."""
    return translations(current()).pgettext(context, message)


def N_(message):
    """Mark `message` for translation where it is defined; `_()` translates it where shown."""
    return message


def messages(domain):
    """Every translated message of `domain` in the current language, {English: shown}: the
    offline player carries its own interface's strings in the page."""
    lang = current()
    if lang == "en":
        return {}
    catalog = _domain(lang, domain)
    # GNUTranslations keeps its table in _catalog; its one public lookup is per message.
    return {k: v for k, v in catalog._catalog.items() if isinstance(k, str) and k}
