"""`make run`'s process: everything it starts, one Ctrl-C stops."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import psutil

from bot.embedded_redis import free_port
from tests.conftest import ROOT


def test_one_ctrl_c_stops_every_process_the_stack_started(tmp_path):
    environment = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "RASA_PORT": str(free_port()),
        "ACTION_SERVER_PORT": str(free_port()),
        "EMBEDDED_REDIS_PORT": str(free_port()),
        "STACK_STATE_DIR": str(tmp_path),
        "RASA_WORKERS": "2",
    }
    environment.pop("RASA_NICENESS", None)
    environment.pop("REDIS_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.stack", "--train-if-needed"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        output = []
        for line in process.stdout:  # the stack gives up by itself after 240 s
            output.append(line)
            if "Press Ctrl-C" in line:
                break
        assert any("Press Ctrl-C" in line for line in output), "".join(output)
        started = psutil.Process(process.pid).children(recursive=True)
        commands = [" ".join(child.cmdline()) for child in started]
        assert any("redis-server" in command for command in commands)
        assert any("bot.action_server" in command for command in commands)
        assert any("bot.rasa_server run" in command for command in commands)
        # Sanic's main process and two workers, all below the other parts' priority.
        rasa = [child for child in started if "rasa_server run" in " ".join(child.cmdline())]
        assert len(rasa) == 3
        assert {child.nice() for child in rasa} == {5}
        assert all(child.nice() == 0 for child in started if child not in rasa)

        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 0
        _, still_running = psutil.wait_procs(started, timeout=30)
        assert still_running == []
        assert (tmp_path / "redis" / "appendonly.aof").exists()
    finally:
        if process.poll() is None:
            process.kill()
