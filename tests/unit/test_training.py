"""bot/training.py: the fingerprint that decides whether the model needs retraining."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.training import fingerprint, training_inputs
from tests.conftest import ROOT


@pytest.fixture
def project(tmp_path) -> Path:
    """A copy of the training inputs: config.yml, domain.yml and data/."""
    shutil.copy(ROOT / "config.yml", tmp_path / "config.yml")
    shutil.copy(ROOT / "domain.yml", tmp_path / "domain.yml")
    shutil.copytree(ROOT / "data", tmp_path / "data")
    shutil.copytree(ROOT / "bot" / "nlu", tmp_path / "bot" / "nlu")
    return tmp_path


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def test_the_inputs_are_config_domain_and_every_data_file(project):
    inputs = [path.relative_to(project).as_posix() for path in training_inputs(project)]

    assert inputs[:2] == ["config.yml", "domain.yml"]
    assert "data/nlu/entities.yml" in inputs
    assert "data/rules/complaint.yml" in inputs
    assert "bot/nlu/unknown_words.py" in inputs  # a component's code shapes the model
    data_files = sum(1 for path in (project / "data").rglob("*") if path.is_file())
    assert len(inputs) == 2 + data_files + len(list((project / "bot" / "nlu").glob("*.py")))


def test_the_fingerprint_changes_when_an_nlu_component_changes(project):
    before = fingerprint(project)
    append(project / "bot" / "nlu" / "unknown_words.py", "\n# changed\n")
    assert fingerprint(project) != before


def test_the_fingerprint_is_stable_when_nothing_changes(project):
    assert fingerprint(project) == fingerprint(project)


def test_the_fingerprint_does_not_depend_on_where_the_project_lives(project, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("elsewhere") / "project"
    shutil.copytree(project, elsewhere)

    assert fingerprint(elsewhere) == fingerprint(project)


def test_the_fingerprint_changes_when_a_data_file_changes(project):
    before = fingerprint(project)

    append(project / "data" / "nlu" / "venting.yml", "\n# a comment is a change too\n")

    assert fingerprint(project) != before


def test_the_fingerprint_changes_when_a_data_file_is_added(project):
    before = fingerprint(project)

    (project / "data" / "nlu" / "extra.yml").write_text('version: "3.1"\n', encoding="utf-8")

    assert fingerprint(project) != before


def test_the_fingerprint_changes_when_a_data_file_is_renamed(project):
    before = fingerprint(project)

    (project / "data" / "nlu" / "venting.yml").rename(project / "data" / "nlu" / "venting2.yml")

    assert fingerprint(project) != before


def test_the_fingerprint_changes_when_config_changes(project):
    before = fingerprint(project)

    config = project / "config.yml"
    original = config.read_text(encoding="utf-8")
    edited = original.replace("random_seed: 2041", "random_seed: 2042", 1)
    assert edited != original, "the test needs a random_seed to change in config.yml"
    config.write_text(edited, encoding="utf-8")

    assert fingerprint(project) != before


def test_the_fingerprint_changes_when_the_domain_changes(project):
    before = fingerprint(project)

    append(project / "domain.yml", "\n# changed\n")

    assert fingerprint(project) != before
