"""Project-wide pytest setup: the wkpup plugin itself comes from its pytest11 entry point
(see pyproject.toml); here only what the project's own tests need."""

pytest_plugins = ["pytester"]
