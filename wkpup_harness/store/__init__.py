"""The SQLite store of jobs, stages, PVT points and measurements (see ``schema``)."""

from wkpup_harness.store.db import connect, read, write
from wkpup_harness.store.schema import StoreError

__all__ = ["StoreError", "connect", "read", "write"]
