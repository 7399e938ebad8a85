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
        where = f"{self.file}: {key}" if key else self.file
        super().__init__(f"{where}: {message}")


class DataError(JunoFitError):
    """A data file is not what the command expects (foreign file, mismatched binning, ...)."""
