"""The HTTP API: a thin FastAPI adapter over the `classifier` library."""
