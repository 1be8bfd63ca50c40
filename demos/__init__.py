"""chainrule's lessons: one module per worked example, run by the `chainrule` command."""
