"""The todo backend's API: FastAPI served by uvicorn on port 8000. /health is what the cluster checks."""

from pathlib import Path

from fastapi import FastAPI

VERSION = (Path(__file__).parent / "VERSION").read_text().strip()

app = FastAPI(title="todo-backend", version=VERSION)
todos: list[dict[str, object]] = []


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok", "service": "todo-backend", "version": VERSION}


@app.get("/todos")
def list_todos() -> list[dict[str, object]]:
    return todos


@app.post("/todos")
def add_todo(title: str) -> dict[str, object]:
    todo: dict[str, object] = {"id": len(todos) + 1, "title": title, "done": False}
    todos.append(todo)
    return todo
