"""HTTP service for quejas: FastAPI app factory, routes and micro-batching."""
