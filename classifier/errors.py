"""Exception types. Each message says what was expected, what was found and how to fix it."""

from __future__ import annotations


class ClassifierError(Exception):
    """Base class for every error the core raises on purpose."""


class DataFileError(ClassifierError, ValueError):
    """A data file (taxonomy, FAQ, rules, examples) is missing or malformed."""


class InputError(ClassifierError, ValueError):
    """User input that cannot be classified (empty text, unreadable batch file, wrong column).

    ``reason`` is a stable code and ``detail`` its values, so adapters can say the same thing
    in Traditional Chinese or English (see ``messages.error_text``).
    """

    def __init__(self, message: str, *, reason: str = "", **detail):
        super().__init__(message)
        self.reason = reason
        self.detail = detail


class ModelFetchError(ClassifierError, RuntimeError):
    """The embedding model could not be fetched, assembled or verified."""


class ArtifactError(ClassifierError, RuntimeError):
    """The built index in models/ is missing, stale or damaged."""


class NotFittedError(ClassifierError, ValueError, AttributeError):
    """An estimator was used before `fit`."""
