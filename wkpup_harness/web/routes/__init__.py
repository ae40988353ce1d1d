"""The server's routes, one module per resource, each an ``APIRouter`` whose handlers get
what they need (settings, core, worker, store, the job) through ``web.deps``."""
