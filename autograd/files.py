"""Files on disk, written whole or not at all and read with limits: the one writer behind
Module.save, viz.render.write_atomic (pictures, pages) and the lessons' plots. It lives in
autograd, the package nn and viz both build on, so neither has to import the other.

Writing goes to a temporary file beside the target, named `.{name}.chainrule-{pid}-{random}.tmp`
(unique, so two runs writing into one folder never collide), then os.replace puts it in place
in one step: a reader, a crash or kill -9 sees the old file or the new one, never half. Rules:
- a symlink is written through: its target gets the new content, the link stays a link;
- an existing file keeps its permission bits (new files get 0644);
- a read-only file (no write bit) is refused with PermissionError, as `open(path, "w")` would
  refuse it; os.replace alone would quietly swap it, since only the folder must be writable;
- a temp file of ours whose process has died (killed mid-save) is removed by the next write
  of the same target (POSIX; on Windows it stays, harmless, until deleted by hand).
"""

import os
import re
import stat
import tempfile

NEW_FILE_MODE = 0o644  # mkstemp makes files private; what we write is for sharing


def write_atomic(path, content, where="write", durable=False):
    """Replace `path` with `content` (str as UTF-8, or bytes) in one step; returns `path`.

    durable: fsync the file and its folder, so the new content survives a power cut too (kill -9
    needs no fsync). Model files ask for it; pictures do not (7 ms a file, measured on ext4).
    """
    path = os.fspath(path)
    target = os.path.realpath(path)  # through symlinks: replace what the link points at
    folder, name = os.path.split(target)
    mode = _writable_mode(path, target, where)
    data = content.encode("utf-8") if isinstance(content, str) else bytes(content)
    _remove_stale(folder, name)
    fd, tmp = tempfile.mkstemp(
        dir=folder, prefix=f".{name}.chainrule-{os.getpid()}-", suffix=".tmp"
    )
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            if durable:
                f.flush()
                os.fsync(f.fileno())  # the bytes are on disk before the name points at them
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        os.unlink(tmp)
        raise
    if durable and hasattr(os, "O_DIRECTORY"):  # make the rename itself durable (POSIX)
        dirfd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dirfd)
        finally:
            os.close(dirfd)
    return path


def _writable_mode(path, target, where):
    """The permission bits the new file gets; refuse what must not be replaced."""
    try:
        info = os.stat(target)
    except FileNotFoundError:
        folder = os.path.dirname(target)
        if not os.path.isdir(folder):
            raise FileNotFoundError(f"{where}: the folder {folder!r} does not exist") from None
        return NEW_FILE_MODE
    _refuse_special(path, info.st_mode, where)
    if not info.st_mode & 0o222 or not os.access(target, os.W_OK):
        raise PermissionError(
            f"{where}: {path!r} is read-only; it is left as it is "
            "(make it writable first, e.g. chmod u+w, or choose another name)"
        )
    return stat.S_IMODE(info.st_mode)


def _remove_stale(folder, name):
    """Delete temp files of ours for `name` left by processes that no longer run (kill -9)."""
    if os.name != "posix":  # no safe way to ask whether a pid runs (os.kill would end it)
        return
    prefix = f".{name}.chainrule-"
    ours = re.compile(re.escape(prefix) + r"(\d+)-[a-z0-9_]+\.tmp")
    with os.scandir(folder) as entries:
        for entry in entries:
            found = entry.name.startswith(prefix) and ours.fullmatch(entry.name)
            if found and not _running(int(found.group(1))):
                try:
                    os.unlink(entry.path)
                except (FileNotFoundError, PermissionError):  # cleaned already, or not ours
                    pass


def _running(pid):
    if pid == os.getpid():
        return True  # another thread of this process may be writing it now
    try:
        os.kill(pid, 0)  # signal 0 sends nothing: it only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, run by someone else
        return True
    return True


def read_limited(path, where, limit):
    """The bytes of the file `path`; refuses a FIFO, device, folder, or over `limit` bytes."""
    # O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:  # checked on the descriptor itself: what we read is what we checked
        info = os.fstat(fd)
        _refuse_special(path, info.st_mode, where)
        if info.st_size > limit:
            raise ValueError(_too_big(path, where, info.st_size, limit))
    except BaseException:
        os.close(fd)
        raise
    with os.fdopen(fd, "rb") as f:
        data = f.read(limit + 1)
    if len(data) > limit:  # it grew while we read it
        raise ValueError(_too_big(path, where, len(data), limit))
    return data


def _refuse_special(path, mode, where):
    """Raise unless `mode` is a regular file's: a folder, FIFO or device is named as such."""
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(f"{where}: {os.fspath(path)!r} is a folder, not a file")
    if not stat.S_ISREG(mode):
        kind = "a FIFO (named pipe)" if stat.S_ISFIFO(mode) else "a device or socket"
        raise OSError(f"{where}: {os.fspath(path)!r} is {kind}, not a regular file")


def _too_big(path, where, size, limit):
    return (
        f"{where}: {os.fspath(path)!r} is {size:,} bytes, over the limit of {limit:,} "
        "for this kind of file"
    )
