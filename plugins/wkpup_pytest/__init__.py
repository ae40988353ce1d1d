"""wkpup's pytest plugin: each PVT job of a frozen simulation core is a pytest item.

Installed under the import name ``wkpup_pytest`` (entry point ``pytest11: wkpup =
wkpup_pytest.plugin``); the source lives in the repository's ``plugins/`` folder.

- ``plugin``    options, markers, and ``pytest_configure`` registering a ``WkpupSession``
                only where the plugin is active (a project with a core setting);
- ``session``   the session object: settings (the library's one resolver), core, store,
                the core gate, collection hooks, xdist grouping, live progress;
- ``collect``   scenario files (YAML) -> one item per PVT job;
- ``fixtures``  the ``pvt_*`` fixtures (one engine job, one step per stage) and the scenario
                test body (stages, golden, spec).

Everything a job does is the library's engine (``wkpup_harness.engine.Job``): the plugin
only maps it onto items, fixtures and reports.
"""
