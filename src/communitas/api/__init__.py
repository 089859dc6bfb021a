"""HTTP API: the app factory, shared dependencies and the error envelope."""
