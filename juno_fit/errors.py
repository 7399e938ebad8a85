"""User-facing error types.

A user error (bad config, missing file, unknown parameter, non-physical value) raises one of these;
the command line prints it as one line and exits with code 2 (DESIGN.md §3).
"""

from __future__ import annotations


class JunoFitError(Exception):
    """Base class of errors caused by user input."""


class ConfigError(JunoFitError):
    """A configuration or input file is malformed or holds a non-physical value.

    Parameters
    ----------
    file : str
        The file the problem is in.
    key : str
        Dotted key inside the file (empty when the whole file is at fault).
    message : str
        What is wrong, including the accepted values.
    """

    def __init__(self, file: str, key: str, message: str) -> None:
        self.file = str(file)
        self.key = key
        self.message = message
        where = f"{self.file}: {_one_line(key)}" if key else self.file
        super().__init__(f"{where}: {_one_line(message)}")


def _one_line(text: str) -> str:
    """Escape control characters (a TOML key may hold a newline) so the error stays on one line."""
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


class DataError(JunoFitError):
    """A data file is not what the command expects (foreign file, mismatched binning, ...)."""


class Interrupted(JunoFitError):
    """Ctrl-C during a long job; what was finished is saved (exit code 130, not 2)."""
