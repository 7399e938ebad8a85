"""Files in and out: only regular files are read, and outputs are written safely.

Reading. :func:`read_regular` opens a path without blocking (a named pipe would otherwise wait for
a writer forever), refuses anything that is not a regular file (folders, pipes, devices such as
/dev/zero) and anything larger than the caller's limit, before reading a byte of it.

Writing. :func:`check_output` is called before any expensive work: it refuses a target that exists
(unless ``force``), that is a folder or not a regular file, or whose folder is missing or not
writable (it proves writability by creating and removing a probe file). :func:`atomic_output`
writes to a temporary file ``.NAME.PID.XXXXXXXX.EXT`` next to the target (PID: the writing
process) and renames it over the target on success; on any error it is removed. A process killed
with SIGKILL cannot remove its temporary file, so every check and every write first removes the
stale temporary files of the same target: those whose process is gone, or that are older than a
day (a reused process number). No file lock marks a temporary file as live: HDF5 locks the files
it writes itself, and a second lock on the same file would make it fail.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import os
import re
import stat
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from .errors import DataError, JunoFitError

STALE_SECONDS = 86_400.0  # a temporary file older than this is stale even if its process number is in use
PLOT_SUFFIXES = (".png", ".pdf", ".svg", ".eps", ".ps", ".jpg", ".jpeg")


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def regular_file_problem(path: str | Path) -> str | None:
    """Why ``path`` is not a readable regular file (None when it is)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return "file not found"
    except OSError as exc:
        return f"cannot read file ({exc.strerror})"
    if not stat.S_ISREG(st.st_mode):
        return f"is {_kind(st.st_mode)}, not a regular file"
    return None


def open_hdf5(path: Path, fmt: str, what: str, written_by: str):
    """``path`` opened read-only as an HDF5 file whose ``format`` attribute is ``fmt`` (use it in a
    ``with``); anything else (not a regular file, not HDF5, another format) is a :class:`DataError`
    naming the file, ``what`` it should be ("ensemble") and the command ``written_by`` that writes it."""
    import h5py

    problem = regular_file_problem(path)
    if problem:
        raise DataError(f"{path}: {what} file: {problem}")
    try:
        f = h5py.File(path, "r")
    except OSError:
        raise DataError(f"{path}: not an HDF5 file (expected a '{written_by}' {what})") from None
    found = f.attrs.get("format")
    found = found.decode() if isinstance(found, bytes) else found
    if found != fmt:
        f.close()
        raise DataError(f"{path}: not a juno-fit {what} (format attribute {found!r}, expected {fmt!r})")
    return f


def read_regular(path: str | Path, max_bytes: int) -> bytes:
    """The bytes of a regular file of at most ``max_bytes``; ValueError (one line) otherwise."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise ValueError("file not found") from None
    except IsADirectoryError:
        raise ValueError("is a folder, not a regular file") from None
    except OSError as exc:
        raise ValueError(f"cannot read file ({exc.strerror})") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ValueError(f"is {_kind(st.st_mode)}, not a regular file")
        if st.st_size > max_bytes:
            raise ValueError(f"is {st.st_size:,} bytes; at most {max_bytes:,} are accepted")
        chunks, size = [], 0
        while size <= max_bytes:
            chunk = os.read(fd, max_bytes + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        data = b"".join(chunks)
    except OSError as exc:
        raise ValueError(f"cannot read file ({exc.strerror})") from None
    finally:
        os.close(fd)
    if len(data) > max_bytes:
        raise ValueError(f"is larger than {max_bytes:,} bytes")
    return data


# --------------------------------------------------------------------------------------------------
# Outputs
# --------------------------------------------------------------------------------------------------


def _temp_pattern(target: Path) -> re.Pattern[str]:
    # tempfile.mkstemp adds 8 characters of [a-z0-9_] between prefix and suffix
    suffix = target.suffix or ".tmp"
    return re.compile(re.escape(f".{target.name}.") + r"([0-9]+)\.[a-z0-9_]{8}" + re.escape(suffix))


def _temporary(target: Path, folder: Path) -> tuple[int, str]:
    """Create the temporary file of ``target`` in ``folder``, named after this process."""
    return tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=target.suffix or ".tmp", dir=folder)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True  # exists but is someone else's, or not a process number we can ask about
    return True


def clean_stale_temporaries(target: str | Path, *, older_than: float = STALE_SECONDS) -> list[Path]:
    """Remove the temporary files that killed writers of ``target`` left behind; returns them.

    A temporary file is stale when the process that created it is gone, or when it is older than
    ``older_than`` seconds.
    """
    target = Path(target)
    folder = target.parent if str(target.parent) else Path(".")
    pattern = _temp_pattern(target)
    removed = []
    try:
        names = os.listdir(folder)
    except OSError:
        return removed
    now = time.time()
    for name in names:
        match = pattern.fullmatch(name)
        if not match:
            continue
        path = folder / name
        try:
            st = os.lstat(path)
        except OSError:
            continue
        if not stat.S_ISREG(st.st_mode):
            continue
        pid = int(match.group(1))
        if pid == os.getpid() or (_alive(pid) and now - st.st_mtime < older_than):
            continue
        with contextlib.suppress(OSError):
            path.unlink()
            removed.append(path)
    return removed


def _placement(target: Path) -> tuple[Path, str | None]:
    """The folder an output goes into, and why it cannot go there (None when it can)."""
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        return folder, f"folder {folder} does not exist"
    if target.is_dir():
        return folder, "is a folder; give a file name"
    return folder, None


def check_output(path: str | Path, *, force: bool = False, option: str = "-o", suffixes: tuple[str, ...] = ()) -> Path:
    """Refuse an output path that cannot or must not be written, before any work (JunoFitError).

    ``option`` names the command-line option in the message; ``suffixes``, when given, are the
    accepted file extensions (plots).
    """
    text = str(path)
    if not text or "\x00" in text:
        raise JunoFitError(f"{option}: not a valid file name: {text!r}")
    target = Path(text)
    if suffixes and target.suffix.lower() not in suffixes:
        raise JunoFitError(f"{option} {text}: unknown file type (accepted: {', '.join(suffixes)})")
    folder, problem = _placement(target)
    if problem:
        raise JunoFitError(f"{option} {text}: {problem}")
    if target.exists() or target.is_symlink():
        if not force:
            raise JunoFitError(f"{option} {text}: exists; pass --force to overwrite")
        problem = regular_file_problem(target)
        if problem is not None and problem != "file not found":
            raise JunoFitError(f"{option} {text}: {problem}; it cannot be replaced")
    clean_stale_temporaries(target)
    try:
        fd, probe = _temporary(target, folder)
    except OSError as exc:
        raise JunoFitError(f"{option} {text}: cannot write in {folder} ({exc.strerror})") from None
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(probe)
    return target


@contextlib.contextmanager
def atomic_output(path: str | Path, *, force: bool = True) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success rename it to ``path``, on error delete it.

    With ``force=False`` an existing ``path`` is an error (DataError) and nothing is written.
    """
    target = Path(path)
    if not force and target.exists():
        raise DataError(f"{target}: exists; pass --force to overwrite")
    folder, problem = _placement(target)
    if problem:
        raise DataError(f"{target}: {problem}")
    clean_stale_temporaries(target)
    try:
        fd, tmp = _temporary(target, folder)
    except OSError as exc:
        raise DataError(f"{target}: cannot write in {folder} ({exc.strerror})") from None
    tmp_path = Path(tmp)
    os.close(fd)
    try:
        yield tmp_path
        # mkstemp creates 0600; give the result the permissions of a normally created file
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp_path, 0o666 & ~umask)
        try:
            os.replace(tmp_path, target)
        except OSError as exc:
            if exc.errno in (errno.EISDIR, errno.ENOTEMPTY, errno.EEXIST):
                raise DataError(f"{target}: is a folder; give a file name") from None
            raise DataError(f"{target}: cannot write ({exc.strerror})") from None
    finally:
        with contextlib.suppress(OSError):
            tmp_path.unlink()


def add_report_option(parser: argparse.ArgumentParser, default: str | Path | None = None, suffix: str = ".md") -> None:
    """``-o/--output FILE`` and ``--force`` for a script that writes one text report."""
    parser.add_argument("-o", "--output", type=Path, default=default, help=f"write the report ({suffix}) here")
    parser.add_argument("--force", action="store_true", help="overwrite an existing report")
    parser.set_defaults(_report_suffix=suffix)


def check_report_option(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Refuse the report path of :func:`add_report_option` before the work (argparse error, exit 2)."""
    if args.output is not None:
        try:
            check_output(args.output, force=args.force, option="-o", suffixes=(args._report_suffix,))
        except JunoFitError as exc:
            parser.error(str(exc))


def write_text(path: str | Path, text: str) -> None:
    """Write a text file atomically (the path was checked before the work)."""
    with atomic_output(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
