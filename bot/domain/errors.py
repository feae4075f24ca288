"""Errors a user can fix: what was wrong, and an example of what works."""

from __future__ import annotations


class UserError(Exception):
    """A request Rounds will not carry out, explained for the person who sent it."""

    def __init__(self, message: str, *, example: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.example = example
