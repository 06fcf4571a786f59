"""The errors newapi raises. The CLI turns them into one red line and an exit code."""

from __future__ import annotations


class NewapiError(Exception):
    """Base error: `message` says what went wrong, `hint` how to fix it."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(NewapiError):
    """The user asked for something invalid (a bad name, answer or destination)."""

    exit_code = 2


class InvalidAnswerError(UsageError):
    """An answer to a template question broke one of the template's rules."""


class DestinationError(UsageError):
    """The destination cannot be written without losing or mixing up files."""


class NeedsAnswersError(UsageError):
    """Answers are missing and there is no terminal to ask them on."""


class TemplateError(NewapiError):
    """The template could not be found or rendered."""


class StepError(NewapiError):
    """A step after rendering (git, uv) failed; the project itself is in place."""


class Interrupted(NewapiError):
    """Ctrl-C: `message` says what state the interrupted command left behind."""

    exit_code = 130
