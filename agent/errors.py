"""The one exception type a user sees: what failed, and what to try next."""

from __future__ import annotations


class ShipshapeError(Exception):
    """An expected failure. The CLI prints it as one line and exits non-zero, without a traceback.

    `hint` says what to try next; `code` is a short stable id that scripts and tests may rely on.
    """

    def __init__(self, message: str, hint: str = "", code: str = "error") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.code = code

    def one_line(self) -> str:
        text = self.message.strip().replace("\n", " ")
        return f"{text} ({self.hint.strip()})" if self.hint else text


class ConfigError(ShipshapeError):
    """shipshape.toml is missing, malformed or names something that does not exist."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message, hint, code="config")


class EngineUnavailable(ShipshapeError):
    """A real system (Docker daemon, API server, helm, minikube) does not answer or is not installed."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message, hint, code="unavailable")
