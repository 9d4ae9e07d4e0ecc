"""The sweep command's handling of SIGTERM in the driver."""

from __future__ import annotations

import logging

import distributed  # noqa: F401 - configures its and tornado's loggers, as in a sweep
import pytest

from multipolar.sweep import cli


def test_sigterm_silences_every_dask_and_tornado_logger(caplog):
    # Dask's logging config gives "tornado.application" a level of its own (ERROR); its
    # "Exception in callback" traceback of a connection closed mid-message must not reach
    # a user who stopped the sweep, however the loggers were configured.
    names = ["distributed", "distributed.client", "tornado", "tornado.application"]
    before = {name: logging.getLogger(name).level for name in names}
    try:
        with pytest.raises(cli._Terminated):
            cli._terminate(15, None)
        for name in names:
            assert logging.getLogger(name).getEffectiveLevel() == logging.CRITICAL, name
        with caplog.at_level(logging.NOTSET):
            logging.getLogger("tornado.application").error("Exception in callback")
        assert "Exception in callback" not in caplog.text
    finally:
        for name, level in before.items():
            logging.getLogger(name).setLevel(level)
