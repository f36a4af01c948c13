"""The real stack, started once for all end-to-end tests: Redis, action server, Rasa."""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.case_records import CaseRecords
from bot.embedded_redis import free_port
from bot.stack import Stack, StackConfig
from bot.training import MODEL_PATH
from tests.conftest import ROOT
from tests.e2e.visitor import RasaApi, Visitor


@pytest.fixture(scope="session")
def business_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of business.yml the stack reads, so a test can edit it while it runs."""
    path = tmp_path_factory.mktemp("business") / "business.yml"
    shutil.copy(ROOT / "business.yml", path)
    return path


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, business_file: Path) -> Iterator[Stack]:
    if not MODEL_PATH.exists():
        pytest.fail(f"no trained model at {MODEL_PATH}: `make test` trains it first")
    previous = os.environ.get("BUSINESS_FILE")
    os.environ["BUSINESS_FILE"] = str(business_file)
    config = StackConfig(
        rasa_port=free_port(),
        action_port=free_port(),
        redis_url=None,
        embedded_redis_port=free_port(),
        state_dir=tmp_path_factory.mktemp("stack"),
        # A token that looks like an option: it must still reach Rasa as the token.
        api_token="-e2e-" + secrets.token_hex(8),
    )
    stack = Stack(config, report=lambda line: None)
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()
        if previous is None:
            os.environ.pop("BUSINESS_FILE", None)
        else:
            os.environ["BUSINESS_FILE"] = previous


@pytest.fixture
async def visitor(stack: Stack) -> AsyncIterator[Visitor]:
    visitor = Visitor(stack.config.rasa_url)
    await visitor.connect()
    yield visitor
    await visitor.close()


@pytest.fixture
def rasa_api(stack: Stack) -> RasaApi:
    return RasaApi(stack.config.rasa_url, stack.config.api_token)


@pytest.fixture
async def records(stack: Stack) -> AsyncIterator[CaseRecords]:
    """What the bot wrote down, read through the same class the actions write with."""
    case_records = CaseRecords.from_url(stack.redis_url)
    yield case_records
    await case_records.close()
