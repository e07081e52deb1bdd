"""The one error an ingest raises for bad input: it names the file and says what is wrong; nothing was written."""

from __future__ import annotations


class IngestError(ValueError):
    """A document cannot be ingested. ``file`` names it; nothing was registered or written."""

    def __init__(self, file: str, message: str) -> None:
        self.file, self.message = file, message
        super().__init__(f"{file}: {message}; nothing was registered or written")


class ExtraMissing(ImportError):
    """The optional ``qgraph[ingest]`` dependencies are not installed."""

    def __init__(self, name: str) -> None:
        super().__init__(f"ingest needs the optional dependencies: pip install 'qgraph[ingest]' ({name} is missing)")
