"""wkpup-harness: a pytest-driven PVT regression harness around the wkpup2 (ver03) core."""

from wkpup_harness.errors import ConfigError, ResultError, TableError, WkpupError

__version__ = "0.1.0"

__all__ = ["ConfigError", "ResultError", "TableError", "WkpupError", "__version__"]
