"""Run a source's table readers on new bytes: what `sources pin` and `sources add` check.

A new release is only worth pinning if every table that reads the source still finds its
layout in it. `readers_of` runs those tables' own builders against a context whose one source
is the new file, and reports the rows each read.
"""

from __future__ import annotations

from pipeline.config import Settings
from pipeline.errors import LayoutError, SourceError, SpendtrackError
from pipeline.model import BuildContext, TableSpec
from pipeline.sources.fetch import Resolved
from pipeline.sources.registry import Source


class _NotRead(Exception):
    """A table asked for some other source: it does not read the one being pinned."""


class _ProbeContext(BuildContext):
    """A build context whose only source is the new download; it has no database."""

    def __init__(self, settings: Settings, target: Resolved) -> None:
        super().__init__(con=None, settings=settings)
        self.target = target
        self.asked = False

    def sources(self, family: str) -> list[Resolved]:
        if family != self.target.source.family:
            raise _NotRead
        self.asked = True
        return [self.target]

    def source(self, source_id: str) -> Resolved:
        if source_id != self.target.source.id:
            raise _NotRead
        self.asked = True
        return self.target

    def resolve(self, src: Source) -> Resolved:
        return self.source(src.id)


def readers_of(
    target: Resolved, settings: Settings, tables: list[TableSpec]
) -> list[tuple[str, int]]:
    """Run every table builder that reads `target`'s source on its new bytes.

    A builder that reads it and fails (an anchor, sheet or column not found) fails the pin,
    with the table named; builders that read other sources or need the database are skipped.
    """
    found = []
    for spec in tables:
        if spec.build is None:
            continue
        ctx = _ProbeContext(settings, target)
        try:
            rows = len(spec.build(ctx))
        except _NotRead:
            continue
        except SpendtrackError as exc:
            if not ctx.asked:
                continue
            kind = LayoutError if isinstance(exc, LayoutError) else SourceError
            raise kind(
                f"{target.source.id}: the current bytes do not fit the layout that "
                f"{spec.name} reads ({exc.one_line()}); sources.toml is unchanged",
                file=target.source.file_name,
            ) from exc
        except Exception:  # a builder that needs the database: it reads no file
            if ctx.asked:
                raise
            continue
        if ctx.asked:
            found.append((spec.name, rows))
    return found
