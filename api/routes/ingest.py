"""Ingest over HTTP: ``POST /ingest`` (upload -> a stored review), ``GET``/``PUT /review/{id}``, ``POST
/review/{id}/apply``, and the review page ``GET /review``.

Invariants:
- every route needs a bearer token with the role ``editor`` (or ``admin``): ``require_role("editor")``, named tokens
  from ``QGRAPH_TOKENS`` / ``QGRAPH_TOKENS_FILE``; the actor recorded with a write is the token's name;
- the upload is bounded (``QGRAPH_INGEST_MAX_BYTES``, read at most one byte past it) and its type is checked by its
  content; the review lives in the store (``Store.save_review``), never in the process, so any replica answers;
- apply validates with the curated-data loader and writes all-or-nothing, as ``qgraph review apply`` does.
"""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from qgraph.api.responses import error_response
from qgraph.api.routes.admin import require_role
from qgraph.loaders import DatasetError

#: every route: the token's answers, and the refusals a request may get
AUTH_RESPONSES: dict[int | str, dict[str, str]] = {
    401: {"description": "Missing or wrong editor token"},
    403: {"description": "Read-only service: no token is configured"},
    404: {"description": "No such review"},
    413: {"description": "The upload is larger than QGRAPH_INGEST_MAX_BYTES"},
    422: {"description": "Bad parameter, bad document or bad decisions (named); nothing was written"},
}
router = APIRouter(tags=["ingest"], responses=AUTH_RESPONSES)
REVIEW_ID = r"^rev-[0-9a-f]{12}$"
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


#: the actor: the name of a token with the role editor (or admin)
EditorDep = Annotated[str, Depends(require_role("editor"))]


def _body(review: Any) -> str:
    return json.dumps({"yaml": review.to_yaml(), "header": review.header, "texts": review.texts}, ensure_ascii=False)


@router.post("/ingest")
async def ingest_upload(
    request: Request,
    actor: EditorDep,
    file: Annotated[UploadFile, File(description="A .txt, .md, .html, .pdf or .docx document (type checked by content).")],
    lang: Annotated[str, Form(pattern=r"^(ja|en|auto)$")] = "auto",
    url: Annotated[str | None, Form(max_length=2000)] = None,
    title: Annotated[str | None, Form(max_length=300)] = None,
    publisher: Annotated[str | None, Form(max_length=300)] = None,
    date: Annotated[str | None, Form(pattern=r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$")] = None,
) -> Any:
    """Read one uploaded document and propose cited candidates; the review is stored and its id returned."""
    from fastapi.concurrency import run_in_threadpool

    settings = request.app.state.settings
    limit = settings.ingest_max_bytes
    data = await file.read(limit + 1)
    name = (file.filename or "upload").replace("/", "_")[-200:]
    if len(data) > limit:
        return error_response(413, "too_large", f"{name}: larger than {limit} bytes (QGRAPH_INGEST_MAX_BYTES)")

    def work() -> Any:
        from qgraph.loaders.ingest import DocumentInfo, ExtraMissing, IngestError, Input, ingest

        with request.app.state.open_writer() as store:
            try:
                review = ingest([Input(name=name, data=data)], store, language=lang, settings=settings,
                                info=DocumentInfo(url=url, title=title, publisher=publisher, date=date))
            except (IngestError, ExtraMissing) as exc:
                return error_response(422, "bad_document", str(exc))
            review.header["created_by"] = actor
            store.save_review(review.id, _body(review))
        return {"review": review.id, "documents": review.header["documents"], "candidates": review.counts(),
                "notes": review.header.get("notes", [])}

    return await run_in_threadpool(work)


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Annotated[str | None, Field(pattern=r"^(proposed|accepted|edited|rejected)$")] = None
    match: Annotated[str | None, Field(max_length=120, pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")] = None
    note: Annotated[str | None, Field(max_length=1000)] = None
    fields: dict[str, Any] = {}


class ReviewUpdate(BaseModel):
    """Decisions: the whole review file as edited (``yaml``), or per record (``decisions``, keyed "section/id")."""

    model_config = ConfigDict(extra="forbid")
    yaml: Annotated[str | None, Field(max_length=5_000_000, description="The review file with decisions.")] = None
    decisions: Annotated[dict[str, Decision], Field(max_length=10_000)] = {}

    def text(self, stored: str) -> str:
        from qgraph.loaders.ingest.review import with_decisions

        base = self.yaml if self.yaml is not None else stored
        if not self.decisions:
            return base
        return with_decisions(base, {k: d.model_dump(exclude_none=True) for k, d in self.decisions.items()})


def _stored(request: Request, review_id: str) -> dict[str, Any] | None:
    body = request.app.state.store.load_review(review_id)
    return json.loads(body) if body else None


@router.get("/review/{review_id}")
def get_review(request: Request, _: EditorDep, review_id: str) -> Any:
    """The review: its YAML (the records with their review fields), header and the documents' texts."""
    import re

    if not re.fullmatch(REVIEW_ID[1:-1], review_id):
        return error_response(422, "bad_parameter", "review_id: must look like rev-0123456789ab")
    stored = _stored(request, review_id)
    if stored is None:
        return error_response(404, "not_found", f"no review {review_id!r}")
    from qgraph.loaders.ingest.review import parse_review

    _, records, problems = parse_review(stored["yaml"], f"{review_id}.yaml")
    sections: dict[str, list[dict[str, Any]]] = {}
    for raw, review in records:
        sections.setdefault(raw.section, []).append({**raw.data, "review": review})
    return {"id": review_id, "header": stored["header"], "yaml": stored["yaml"], "sections": sections,
            "texts": stored["texts"], "problems": [str(p) for p in problems]}


@router.put("/review/{review_id}")
def put_review(request: Request, _: EditorDep, review_id: str, update: ReviewUpdate) -> Any:
    """Save decisions (the whole review file, as edited); nothing is written to the graph."""
    import re

    if not re.fullmatch(REVIEW_ID[1:-1], review_id):
        return error_response(422, "bad_parameter", "review_id: must look like rev-0123456789ab")
    stored = _stored(request, review_id)
    if stored is None:
        return error_response(404, "not_found", f"no review {review_id!r}")
    stored["yaml"] = update.text(stored["yaml"])
    with request.app.state.open_writer() as store:
        store.save_review(review_id, json.dumps(stored, ensure_ascii=False))
    return {"id": review_id, "saved": True}


@router.post("/review/{review_id}/apply")
def apply_stored(request: Request, actor: EditorDep, review_id: str, update: ReviewUpdate | None = None) -> Any:
    """Validate the accepted and edited records like curated data and write them as one change."""
    import re

    from qgraph.loaders.ingest.review import apply_review

    if not re.fullmatch(REVIEW_ID[1:-1], review_id):
        return error_response(422, "bad_parameter", "review_id: must look like rev-0123456789ab")
    stored = _stored(request, review_id)
    if stored is None:
        return error_response(404, "not_found", f"no review {review_id!r}")
    text = update.text(stored["yaml"]) if update is not None else stored["yaml"]
    with request.app.state.open_writer() as store:
        if update is not None:
            stored["yaml"] = text
            store.save_review(review_id, json.dumps(stored, ensure_ascii=False))
        try:
            result = apply_review(text, f"{review_id}.yaml", store, actor=actor)
        except DatasetError as exc:
            return error_response(422, "bad_data", [str(p) for p in exc.problems])
    return {"review": review_id, "written": result.written, "aliases_added": result.aliases_added,
            "skipped": result.skipped, "message": result.message, "changeset": result.changeset,
            "data_version": result.report.data_version if result.report else None}


def _asset(name: str) -> str:
    return (files("qgraph.viz") / "static" / "review" / name).read_text(encoding="utf-8")


@router.get("/review", response_class=HTMLResponse, include_in_schema=False)
def review_page() -> Response:
    """The review page: plain HTML; its script and style come from the package (no CDN); data arrive as JSON and
    are put in the page with textContent only."""
    return HTMLResponse(_asset("review.html"), headers={"Content-Security-Policy": CSP,
                                                        "X-Content-Type-Options": "nosniff"})


@router.get("/static/review/{name}", include_in_schema=False)
def review_asset(name: str) -> Response:
    types = {"review.js": "text/javascript", "review.css": "text/css"}
    if name not in types:
        return error_response(404, "not_found", name)
    return Response(_asset(name), media_type=types[name], headers={"X-Content-Type-Options": "nosniff"})
