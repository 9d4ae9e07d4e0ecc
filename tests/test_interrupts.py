"""Signal handling: deferred inside held sections, raised at once outside them."""

from __future__ import annotations

import os
import signal

import pytest

from multipolar.interrupts import Interrupted, SignalGuard


def test_outside_held_sections_a_signal_raises_at_once() -> None:
    with SignalGuard(), pytest.raises(Interrupted) as caught:
        os.kill(os.getpid(), signal.SIGTERM)
        for _ in range(1000):
            pass
    assert caught.value.exit_code == 143


def test_inside_a_held_section_the_signal_waits_for_its_end() -> None:
    reached = []
    with SignalGuard() as guard, pytest.raises(Interrupted) as caught:
        with guard.held():
            os.kill(os.getpid(), signal.SIGINT)
            for _ in range(1000):
                pass
            reached.append("end of the held section")
    assert reached == ["end of the held section"]
    assert caught.value.exit_code == 130


def test_a_shielded_section_swallows_the_signal_but_records_it() -> None:
    with SignalGuard() as guard:
        with guard.shielded():
            os.kill(os.getpid(), signal.SIGTERM)
            for _ in range(1000):
                pass
        assert guard.pending == signal.SIGTERM


def test_handlers_are_restored() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with SignalGuard():
        assert signal.getsignal(signal.SIGTERM) is not before
    assert signal.getsignal(signal.SIGTERM) is before
