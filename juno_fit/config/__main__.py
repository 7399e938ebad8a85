"""``python -m juno_fit.config > docs/configuration.md``: print the configuration reference."""

from .rules import reference_markdown

print(reference_markdown(), end="")
