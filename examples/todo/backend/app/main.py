"""The todo backend's API (FastAPI-style). The image serves its health endpoint with busybox httpd: there is
no Python in the runtime image here, and /health is what the cluster checks."""

from fastapi import FastAPI

app = FastAPI(title="todo-backend")


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok", "service": "todo-backend"}
