"""The words argparse itself prints (usage, section titles, its errors), marked here so the
cli catalog translates them; demos/cli.py shows them through viz.i18n.

argparse asks its module-global `_` for each of these as it prints them; while the command
parses, cli.argparse_speaking() makes that `_` viz.i18n's, so the msgids must be argparse's own
strings, letter for letter (Python 3.11's argparse.py; the line numbers are its own). A
Python whose argparse words a message differently shows that message in English.

Left out, since chainrule's command cannot print them: "%(prog)s: error: %(message)s\\n"
(cli.Parser.error prints its own line), "invalid %(type)s value: %(value)r" (--seed and --lang
raise ArgumentTypeError with their own words), "ambiguous option: ..." (no two options of one
parser begin alike), and the nargs messages for "?", "*", "+" and counts (no option takes them).
"""

from viz.i18n import N_

MESSAGES = (
    # HelpFormatter._format_usage (line 299): the start of the usage line, --help and errors.
    N_("usage: "),
    # ArgumentParser.__init__ (lines 1772-1773): the two section titles of every --help.
    N_("positional arguments"),
    N_("options"),
    # ArgumentParser.__init__ (line 1788): the help of -h, --help.
    N_("show this help message and exit"),
    # ArgumentError.__str__ (line 776): a complaint about one option, e.g. "argument --seed: ...".
    N_("argument %(argument_name)s: %(message)s"),
    # parse_args (line 2384): `chainrule run moons --sed 1`.
    N_("unrecognized arguments: %s"),
    # _parse_known_args (line 2142): `chainrule run` without a lesson's name.
    N_("the following arguments are required: %s"),
    # _match_argument (line 2199): `chainrule run moons --seed` with no value after it.
    N_("expected one argument"),
    # _check_value (line 2552): `chainrule bogus`.
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    # consume_optional (lines 2021, 2035): a value given to a flag, `--no-plots=1`.
    N_("ignored explicit argument %r"),
)
