"""SIGINT and SIGTERM during a run: stop cleanly, exit 130 or 143, never mid-kernel.

Python runs a signal handler between bytecodes, which can be while a Numba kernel's
dispatcher is returning: an exception raised there surfaces as ``SystemError: ...
returned a result with an exception set``. So while the run is inside a *held* section (the
model's construction and each step, where the kernels run) the handlers only record the
signal, and the runner raises :class:`Interrupted` at the next step boundary; outside held
sections (loading, writing) the handler raises at once.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

__all__ = ["Interrupted", "SignalGuard"]

_NAMES = {signal.SIGINT: "SIGINT", signal.SIGTERM: "SIGTERM"}


class Interrupted(BaseException):
    """The run was stopped by a signal; ``exit_code`` is 128 + the signal number.

    A BaseException, like KeyboardInterrupt, so ``except Exception`` clauses let it pass.
    """

    def __init__(self, signum: int) -> None:
        self.signum = signum
        self.exit_code = 128 + signum
        super().__init__(f"interrupted by {_NAMES.get(signum, f'signal {signum}')}")


class SignalGuard:
    """Installs SIGINT/SIGTERM handlers for the duration of a ``with`` block.

    Outside the main thread (where handlers cannot be installed) it does nothing.
    """

    def __init__(self) -> None:
        self.pending: int | None = None
        self._held = 0
        self._previous: dict[int, object] = {}

    def __enter__(self) -> SignalGuard:
        if threading.current_thread() is threading.main_thread():
            for signum in _NAMES:
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]
        self._previous.clear()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        del frame
        if self.pending is None:
            self.pending = signum
        if self._held == 0:
            raise Interrupted(self.pending)

    @contextmanager
    def held(self) -> Iterator[None]:
        """Defer signals to the end of the block (kernels and model updates run inside)."""
        self._held += 1
        try:
            yield
        finally:
            self._held -= 1
        self.raise_pending()

    @contextmanager
    def shielded(self) -> Iterator[None]:
        """Hold signals for the block and do not raise them after it (the run has finished)."""
        self._held += 1
        try:
            yield
        finally:
            self._held -= 1

    def raise_pending(self) -> None:
        """Raise :class:`Interrupted` if a signal arrived while held."""
        if self.pending is not None and self._held == 0:
            raise Interrupted(self.pending)
