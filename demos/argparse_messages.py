"""The words argparse itself prints (usage, section titles, its errors), marked here so the
cli catalog translates them; demos/cli.py shows them through viz.i18n."""
