"""Progress of long jobs on stderr: done/total, rate and time left.

On a terminal the line is redrawn in place (at most five times a second); otherwise (a log file, CI)
a line is written at most every ``log_every`` seconds and at the end, so logs stay short.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


def _duration(seconds: float) -> str:
    if seconds != seconds or seconds == float("inf"):  # nan / inf
        return "?"
    seconds = round(seconds)
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}h{m:02d}m{s:02d}s" if h else (f"{m}m{s:02d}s" if m else f"{s}s")


class Progress:
    """``Progress(total, "toys")``; call :meth:`update` with the number newly done, :meth:`close` at
    the end. Usable as the ``progress(done, total)`` callback of the fitting functions via
    :meth:`callback`."""

    def __init__(
        self,
        total: int,
        label: str,
        *,
        unit: str = "",
        stream: TextIO | None = None,
        log_every: float = 10.0,
        initial: int = 0,
    ):
        self.total = int(total)
        self.label = label
        self.unit = unit or label
        self.stream = sys.stderr if stream is None else stream
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.log_every = log_every
        self.done = int(initial)
        self._start_done = self.done
        self.start = time.monotonic()
        self._last = 0.0
        self._closed = False

    def update(self, n: int = 1) -> None:
        self.done += n
        self._show(final=False)

    def set(self, done: int) -> None:
        self.done = done
        self._show(final=False)

    def callback(self, done: int, total: int) -> None:
        """``progress(done, total)`` protocol of :mod:`juno_fit.fitting`."""
        self.total = total
        self.set(done)
        if done >= total:
            self.close()

    def line(self) -> str:
        elapsed = time.monotonic() - self.start
        new = self.done - self._start_done
        rate = new / elapsed if elapsed > 0 else 0.0
        left = (self.total - self.done) / rate if rate > 0 else float("inf")
        pct = 100.0 * self.done / self.total if self.total else 100.0
        rate_text = f"{rate:.2f} {self.unit}/s" if rate < 10 else f"{rate:.0f} {self.unit}/s"
        return (
            f"{self.label}: {self.done}/{self.total} ({pct:.0f} %), {rate_text}, "
            f"elapsed {_duration(elapsed)}, left {_duration(left) if self.done < self.total else '0s'}"
        )

    def _show(self, *, final: bool) -> None:
        now = time.monotonic()
        if not final and now - self._last < (0.2 if self.tty else self.log_every):
            return
        self._last = now
        if self.tty:
            print("\r" + self.line() + ("\n" if final else ""), end="", file=self.stream, flush=True)
        else:
            print(self.line(), file=self.stream, flush=True)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._show(final=True)

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class ProgressBar:
    """A tqdm progress bar (``tqdm.auto``: a widget in Jupyter where ipywidgets is installed, a text
    bar elsewhere) with the same interface as :class:`Progress`: :meth:`update`, :meth:`close`, and
    :meth:`callback` for the ``progress(done, total)`` protocol of the fitting functions. The library
    functions of :mod:`juno_fit.api` draw one unless ``progress=False``."""

    def __init__(self, total: int | None, label: str, *, unit: str = "", initial: int = 0):
        from tqdm.auto import tqdm

        self._bar = tqdm(total=total, desc=label, unit=unit or label, initial=initial, file=sys.stderr, leave=True)

    def update(self, n: int = 1) -> None:
        self._bar.update(n)

    def callback(self, done: int, total: int) -> None:
        """``progress(done, total)`` protocol of :mod:`juno_fit.fitting`."""
        if self._bar.total != total:
            self._bar.total = total
        self._bar.update(done - self._bar.n)
        if done >= total:
            self.close()

    def close(self) -> None:
        self._bar.close()
