"""Shared test set-up: a fixed hypothesis profile so runs are repeatable and quick."""

from hypothesis import settings

settings.register_profile("chainrule", max_examples=60, deadline=None, derandomize=True)
settings.load_profile("chainrule")
