"""The YAML files the company edits (business rules, agents' roster): parsing with line
numbers, and re-reading them while the product runs.

A file that becomes invalid while running keeps the last good version in use (and
``last_error`` says why), so a typo never takes the assistant down or locks every
agent out. No rasa import.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

import yaml
from yaml.nodes import Node

Loaded = TypeVar("Loaded")


def compose_document(source: str, path: Path, error_type: type[ValueError]) -> Node:
    """The YAML node tree of ``source`` (nodes keep their line numbers for error
    messages); ``error_type`` says where the YAML is broken, or that it is empty."""
    try:
        root = yaml.compose(source, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = f"line {mark.line + 1}" if mark else "somewhere"
        raise error_type(f"{path}, {line}: not valid YAML ({error.problem})") from None
    if root is None:
        raise error_type(f"{path}: the file is empty")
    return root


class ReloadingFile(Generic[Loaded]):
    """Serves what ``load`` made of the file, re-reading it when its time or size change."""

    def __init__(
        self,
        path: Path,
        load: Callable[[Path], Loaded],
        error_type: type[ValueError],
        what: str,
    ) -> None:
        self.path = path
        self._load = load
        self._error_type = error_type
        self._what = what
        self._loaded: Loaded | None = None
        self._stamp: tuple[float, int] | None = None
        self.last_error: ValueError | None = None

    def get(self) -> Loaded:
        try:
            stat = self.path.stat()
        except OSError as error:
            problem = self._error_type(f"{self.path}: cannot read the {self._what} ({error})")
            if self._loaded is None:
                raise problem from None
            self.last_error = problem
            return self._loaded
        stamp = (stat.st_mtime, stat.st_size)
        if self._loaded is None or stamp != self._stamp:
            try:
                self._loaded = self._load(self.path)
                self.last_error = None
            except self._error_type as error:
                if self._loaded is None:
                    raise
                self.last_error = error
            self._stamp = stamp
        return self._loaded
