"""`make shell`: the terminal client holds a conversation with the running stack."""

from __future__ import annotations

import asyncio
import sys

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.stack


async def test_the_terminal_chat_talks_to_the_running_bot(stack):
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.terminal_chat", "--url", stack.config.gateway_urls[1],
        cwd=ROOT,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await asyncio.wait_for(
        process.communicate(b"hello\nmy order 48213 never arrived\n/quit\n"), timeout=90
    )
    output = stdout.decode()
    assert process.returncode == 0, stderr.decode()
    assert "Connected (conversation " in output
    assert "bot > " in output and "Northwind Home" in output
    assert "#48213" in output
