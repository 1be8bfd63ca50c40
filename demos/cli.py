"""The `chainrule` command: list the lessons and run one."""

import argparse
import sys

from . import lesson02_chain_rule

LESSONS = {m.NAME: m for m in (lesson02_chain_rule,)}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="chainrule", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="name every lesson")
    run = sub.add_parser("run", help="run one lesson")
    run.add_argument("name")
    run.add_argument("--out", default=None, help="folder for pictures (default out/NAME)")
    run.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.command == "list":
        for name, module in LESSONS.items():
            print(f"{name:14} {module.SUMMARY}")
        return 0
    lesson = LESSONS.get(args.name)
    if lesson is None:
        print(f"chainrule: no lesson {args.name!r}; try: {', '.join(LESSONS)}", file=sys.stderr)
        return 2
    lesson.run(out=args.out or f"out/{args.name}", seed=args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
