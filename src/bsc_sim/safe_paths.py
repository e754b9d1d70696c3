"""The one gate for everything bsc_sim deletes or replaces (issue 17).

bsc_sim deletes or replaces a file only when it can show that it wrote it:

* the file is a regular file, not a symbolic link, reached from the real ``out_dir`` without
  passing through a link (its parent's real path is the real path of the directory bsc_sim
  expects it in, inside the real ``out_dir``);
* where bsc_sim recorded the file's identity when it wrote it (``meta.json`` of a run records
  ``[device, inode, change time]`` of every file), the file still has that identity: a file the user put in
  its place, or edited by replacing it, is theirs;
* otherwise (the parts of an experiment store, written before the manifest listed them), it has
  one of the names bsc_sim gives its files there.

Every check that can refuse runs before anything is deleted: callers ask :func:`refuse_links`
and friends first, and the removing functions skip (never follow) anything they cannot prove.
"""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from .paramtools import ParamError

__all__ = ["real", "is_link", "file_id", "is_own_file", "refuse_links", "remove_file", "remove_tree",
           "link_target"]


def real(path: str | Path) -> Path:
    """The real path (every symbolic link resolved; the path itself need not exist)."""
    return Path(os.path.realpath(path))


def is_link(path: Path) -> bool:
    return os.path.islink(path)


def link_target(path: Path) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return "?"


def file_id(path: Path) -> list[int]:
    """``[device, inode, change time in ns]`` of a file (not following a link).

    The change time is part of the identity because a file system reuses a freed inode number at
    once: a file the user deleted and wrote again under the same name often has the old inode. Any
    write, replacement or ``chmod`` sets the change time, and no user call can set it back."""
    st = os.lstat(path)
    return [st.st_dev, st.st_ino, st.st_ctime_ns]


def _inside(root: Path, path: Path) -> bool:
    """Is ``path`` (not followed if a link) in the real ``root``, reached without any link?"""
    root_real = real(root)
    parent_real = real(path.parent)
    if parent_real != root_real and root_real not in parent_real.parents:
        return False
    # Every directory between root and the file must be a real directory, not a link.
    try:
        rel = Path(os.path.abspath(path.parent)).relative_to(os.path.abspath(root))
    except ValueError:
        rel = None
    if rel is not None:
        step = Path(os.path.abspath(root))
        for part in rel.parts:
            step = step / part
            if os.path.islink(step):
                return False
    return True


def is_own_file(root: Path, path: Path, recorded: Sequence[int] | None = None) -> bool:
    """May bsc_sim delete or replace ``path``? A regular file (not a link) inside the real ``root``,
    reached without a link, and with the recorded ``[device, inode, change time]`` when one is given."""
    try:
        st = os.lstat(path)
    except OSError:
        return False
    if not stat.S_ISREG(st.st_mode) or not _inside(root, path):
        return False
    if recorded is None:
        return True
    # Older runs recorded [device, inode] only: compare what was recorded.
    return [st.st_dev, st.st_ino, st.st_ctime_ns][:len(recorded)] == list(recorded)


def refuse_links(root: Path, names: Iterable[str], shown: str) -> None:
    """Refuse (one line naming ``shown`` and the link) if any of ``root/name`` is a symbolic link.

    Raises:
        ParamError: ``root/name`` is a link: bsc_sim never follows one out of ``out_dir``.
    """
    for name in names:
        path = root / name
        if is_link(path):
            raise ParamError(f"{shown}: {name!r} in it is a symbolic link (to {link_target(path)!r}); bsc_sim never "
                             "follows a link out of out_dir: remove the link or choose another out_dir")


def remove_file(root: Path, path: Path, recorded: Sequence[int] | None = None) -> bool:
    """Delete ``path`` if :func:`is_own_file` says bsc_sim may; return whether it did."""
    if not is_own_file(root, path, recorded):
        return False
    path.unlink()
    return True


def remove_tree(root: Path, path: Path) -> None:
    """Delete bsc_sim's own temporary directory ``path`` in ``root``: never a link, never outside."""
    if is_link(path):
        raise ParamError(f"{path}: is a symbolic link (to {link_target(path)!r}), not bsc_sim's own directory; "
                         "remove it yourself")
    if not path.is_dir():
        return
    if not _inside(root, path / "x"):
        raise ParamError(f"{path}: lies outside {str(root)!r}; not deleted")
    shutil.rmtree(path)  # rmtree never follows links inside the tree


def unproven(root: Path, names: Iterable[str], recorded: Mapping[str, Sequence[int]] | None,
             allowed: Iterable[str] = ()) -> list[str]:
    """Entries of ``root`` (``names``) that bsc_sim cannot show it wrote: with a ``recorded``
    identity map, those not in it or changed since; without one, those not named in ``allowed``
    or not plain files."""
    allowed = set(allowed)
    out = []
    for name in sorted(names):
        path = root / name
        if recorded is not None:
            ok = name in recorded and is_own_file(root, path, recorded[name])
        else:
            ok = name in allowed and is_own_file(root, path)
        if not ok:
            out.append(name)
    return out
