"""Fixtures for the browser view: a ``multipolar viz`` server in its own process group."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _stop(process: subprocess.Popen) -> None:
    """Stop the server's whole process group (solara may fork), then reap it."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)


@pytest.fixture(scope="session")
def chromium_launch() -> dict[str, object]:
    """Keyword arguments for ``playwright``'s ``chromium.launch`` with Debian's Chromium.

    A missing browser fails the test with the install command (``.ci/run`` installs it).
    """
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is not installed (apt-get install -y chromium)")
    return {"executable_path": str(CHROMIUM), "headless": True, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="module")
def viz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a running ``multipolar viz`` (NumPy backend, free port); stopped afterwards."""
    port = free_port()
    log = tmp_path_factory.mktemp("viz") / "server.log"
    with open(log, "wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "multipolar.cli", "viz", "--port", str(port),
             "--backend", "numpy"],
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                pytest.fail(f"multipolar viz exited with {process.returncode}:\n{log.read_text()}")
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"multipolar viz did not answer within 120 s:\n{log.read_text()}")
            time.sleep(0.5)
        yield url
    finally:
        _stop(process)
