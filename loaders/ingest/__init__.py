"""Document ingest: files -> cited candidates -> a review file -> (after a person's decisions) one validated write.

Stages, each testable alone (see the module docstrings): ``formats`` (bytes -> text, dispatch by content type),
``segment`` (sentences, sections, footnotes, pages), ``extract`` (mentions, candidate entities, agreements and
strategies; GiNZA for Japanese, rules for English), ``resolve`` (the one adapter to the store's name resolution),
``review`` (the review file and ``apply``), ``pipeline`` (the stages in order). The heavy dependencies are the
optional extra ``qgraph[ingest]``; without it, importing this package works and ingesting says what to install.
"""

from qgraph.loaders.ingest.errors import ExtraMissing, IngestError
from qgraph.loaders.ingest.pipeline import DocumentInfo, Input, ingest
from qgraph.loaders.ingest.review import Review, accept_all, apply_review

__all__ = ["DocumentInfo", "ExtraMissing", "IngestError", "Input", "Review", "accept_all", "apply_review", "ingest"]
