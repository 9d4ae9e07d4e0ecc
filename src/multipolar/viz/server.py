"""``multipolar viz``: check the inputs, then serve :mod:`multipolar.viz.app` with Solara.

The scenario and the backend are checked here first, so a typo is a one-line error (exit 2)
rather than a broken page; then ``solara run`` takes over this process (``exec``), serving
Solara's own assets (``solara-assets``, never a CDN) with its telemetry off.
"""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

from multipolar.viz.explorer import ENV_BACKEND, ENV_SCENARIO

__all__ = ["PortInUseError", "app_path", "check_port", "serve_command", "serve_environment"]


class PortInUseError(OSError):
    """The requested port cannot be bound."""


def app_path() -> Path:
    """The Solara app file (``multipolar/viz/app.py``)."""
    return Path(__file__).resolve().with_name("app.py")


def check_port(host: str, port: int) -> None:
    """Raise :class:`PortInUseError` if ``host:port`` cannot be bound now."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise PortInUseError(
                f"--port: cannot listen on {host}:{port} ({error.strerror}); choose another port"
            ) from None


def serve_command(host: str, port: int) -> list[str]:
    """The ``solara run`` command line for the app."""
    return [
        sys.executable, "-m", "solara", "run", str(app_path()),
        "--host", host, "--port", str(port), "--production", "--no-open",
        "--log-level", "warning",
    ]  # fmt: skip


def serve_environment(scenario: str | None, backend: str) -> dict[str, str]:
    """The environment the app reads: scenario, backend, and Solara's telemetry switched off."""
    env = dict(os.environ)
    if scenario:
        env[ENV_SCENARIO] = scenario
    else:
        env.pop(ENV_SCENARIO, None)
    env[ENV_BACKEND] = backend
    env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"
    env.setdefault("MPLBACKEND", "Agg")
    return env
