"""The wkpup pytest plugin (entry point ``pytest11: wkpup = plugins.pytest_wkpup``)."""
