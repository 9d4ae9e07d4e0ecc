"""Optional dependencies: import them, or say which ``pip install`` brings them.

The core package runs the model without a browser stack; the commands that draw need an
extra. A missing extra is bad input (exit 2) with the command to run, never a traceback.
"""

from __future__ import annotations

import importlib

__all__ = ["EXTRA_MODULES", "MissingExtraError", "require"]

EXTRA_MODULES: dict[str, tuple[str, ...]] = {
    "report": ("matplotlib",),
    "viz": ("matplotlib", "solara", "mesa.visualization"),
}


class MissingExtraError(ImportError):
    """A command needs an optional extra that is not installed."""


def require(extra: str, command: str) -> None:
    """Import the modules of ``extra`` or raise :class:`MissingExtraError` naming the install.

    Args:
        extra: The extra's name in ``pyproject.toml`` (``report`` or ``viz``).
        command: The command that needs it, for the message (``multipolar report``).

    Raises:
        MissingExtraError: A module of the extra cannot be imported.
    """
    for module in EXTRA_MODULES[extra]:
        try:
            importlib.import_module(module)
        except ImportError as error:
            raise MissingExtraError(
                f"{command} needs the '{extra}' extra ({module} is missing: {error}); "
                f"install it with: pip install 'multipolar[{extra}]' "
                f"(from a clone: pip install -e '.[{extra}]')"
            ) from None
