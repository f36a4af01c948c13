"""Secrets for our servers come from the environment or from a file only other users cannot
read, never from the command line (``ps`` and ``/proc/<pid>/cmdline`` show every local user
each process's arguments; a process's environment is readable only by its own user).

``read_secret("ACTION_SERVER_TOKEN")`` reads ``$ACTION_SERVER_TOKEN``, else the file named by
``$ACTION_SERVER_TOKEN_FILE``, which must not be readable or writable by group or others.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path


class SecretError(RuntimeError):
    """A secret is missing, empty, or kept in a file others can read; the message says which."""


def read_secret(name: str, environ: Mapping[str, str] | None = None) -> str:
    """The secret ``name`` from the environment, or from the 0600 file ``<name>_FILE`` names."""
    environ = os.environ if environ is None else environ
    value = environ.get(name, "").strip()
    if value:
        return value
    file_setting = f"{name}_FILE"
    file_name = environ.get(file_setting, "")
    if not file_name:
        raise SecretError(f"{name} is not set: set it, or set {file_setting} to a 0600 file")
    path = Path(file_name)
    try:
        mode = path.stat().st_mode
        value = path.read_text(encoding="utf-8").strip()
    except OSError as error:
        raise SecretError(f"{file_setting}={file_name!r} cannot be read: {error}") from None
    if mode & 0o077:
        raise SecretError(
            f"{file_setting}={file_name!r} is readable or writable by other users "
            f"(mode {mode & 0o777:o}): run `chmod 600 {file_name}`"
        )
    if not value:
        raise SecretError(f"{file_setting}={file_name!r} is empty")
    return value


def write_secret_file(path: Path, value: str) -> Path:
    """Write ``value`` to ``path`` readable by this user only (created 0600, never wider)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(value)
    path.chmod(0o600)  # an existing file keeps its old mode through os.open
    return path
