"""The ``juno-fit`` command (DESIGN.md §3, CLI contract).

User errors (bad config, missing file, bad value) print one line ``juno-fit: error: ...`` on stderr
and exit with code 2; ``--json`` prints exactly one JSON object on stdout; progress goes to stderr.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Sequence

from ..errors import Interrupted, JunoFitError
from ..threads import limited_threads
from .parser import build_parser

__all__ = ["build_parser", "main"]


class Terminated(Exception):
    """SIGTERM: leave through the normal clean-up (temporary files are removed), exit code 143."""


def _on_sigterm(signum, frame) -> None:
    raise Terminated()


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    previous = None
    with contextlib.suppress(ValueError):  # not the main thread: leave SIGTERM alone
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        with limited_threads():
            return int(args.func(args))
    except Terminated:
        print("juno-fit: terminated", file=sys.stderr)
        return 143
    except Interrupted as exc:
        print(f"juno-fit: {exc}", file=sys.stderr)
        return 130
    except JunoFitError as exc:
        print(f"juno-fit: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("juno-fit: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into a command that stopped reading (e.g. head)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
