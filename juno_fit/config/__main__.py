"""``python -m juno_fit.config > docs/configuration.md``: print the configuration reference."""

from .reference_doc import reference_markdown

print(reference_markdown(), end="")
