"""The web face: a FastAPI app (``app.create_app``) over the library — the REST API, server-
sent progress, the pages, and a queue worker running submitted jobs through the one engine.
``wkpup serve`` starts it with uvicorn."""
