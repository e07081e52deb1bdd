"""What the ingest tests share (test_ingest, test_ingest_api, test_ingest_browser): ``require()``, called at the top
of each, skips the module without the ``qgraph[ingest]`` extra (``scripts/bootstrap --test`` installs it) and fails
it under ``CI=true``, as the Neo4j tests do without a server; and the English press release several of them read."""

from __future__ import annotations

import os

import pytest


def missing() -> str | None:
    """Why the extra is not usable, or None."""
    try:
        import docx  # noqa: F401
        import fpdf  # noqa: F401
        import pypdf  # noqa: F401
        import spacy  # noqa: F401
        import trafilatura  # noqa: F401

        spacy.util.get_package_path("ja_ginza")
    except Exception as exc:  # noqa: BLE001 - any of them missing means the extra is not installed
        return str(exc)
    return None


def require() -> None:
    """Skip (or, under CI=true, fail) the calling test module when the extra is missing."""
    why = missing()
    if why:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but the ingest extra is missing ({why}): scripts/bootstrap --test installs it",
                        pytrace=False)
        pytest.skip(f"the qgraph[ingest] extra is not installed ({why})", allow_module_level=True)


EN_RELEASE = """# AIST and NIST renew quantum metrology partnership

TSUKUBA, Japan, March 12, 2024 — The National Institute of Advanced Industrial Science and Technology (hereinafter "AIST") and the National Institute of Standards and Technology (NIST) renewed their memorandum of understanding on quantum metrology on March 11, 2024.

Separately, the University of Chicago and Keio University signed a letter of intent on quantum education in February 2024. The Ministry of Science and ICT (MSIT) announced a $1.2 billion quantum roadmap.
"""
