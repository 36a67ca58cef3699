"""Errors that say which file, sheet, cell or label was wrong and what was expected.

Each error renders as one line so the nightly log and the CLI show exactly what to fix.
"""

from __future__ import annotations


class SpendtrackError(Exception):
    """Base for every expected failure; the CLI prints it as one line and exits non-zero."""

    exit_code = 1

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        sheet: str | None = None,
        cell: str | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.sheet = sheet
        self.cell = cell
        super().__init__(self.one_line())

    def one_line(self) -> str:
        where = []
        if self.file:
            where.append(self.file)
        if self.sheet:
            where.append(f"sheet '{self.sheet}'")
        if self.cell:
            where.append(f"cell {self.cell}")
        prefix = ", ".join(where)
        text = " ".join(self.message.split())
        return f"{prefix}: {text}" if prefix else text


class SourceError(SpendtrackError):
    """A source could not be obtained, or its bytes are not what the manifest promises."""

    exit_code = 3


class ChecksumError(SourceError):
    """The bytes' sha256 or size differs from `data_raw/sources.toml`."""


class LayoutError(SpendtrackError):
    """A spreadsheet does not have the layout its layout table describes."""

    exit_code = 4


class CrosswalkError(LayoutError):
    """A substance misuse label or measure that no crosswalk row maps."""


class ValidationError(SpendtrackError):
    """A blocking data check failed; nothing is published."""

    exit_code = 5


class ValidatorProcessError(SpendtrackError):
    """The validation process crashed, stopped answering or lost a frame: the build could not
    be checked, so nothing is published. Not a failed expectation (that is ValidationError)."""

    exit_code = 8


class AfterPublishError(SpendtrackError):
    """The database was published, then a step after it failed (the data docs): the line
    says what was published and what failed."""

    exit_code = 9


class LockedError(SpendtrackError):
    """Another refresh holds the build lock."""

    exit_code = 6


class UsageError(SpendtrackError):
    """A question the command cannot answer as asked (an unknown area, category, year or
    basis); the line names what was wrong and what is valid. Nothing is written."""

    exit_code = 2
