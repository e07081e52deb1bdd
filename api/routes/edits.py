"""Edits in place (the explorer's details panel), behind an editor token: ``POST /edits`` writes one cited edit as
one changeset (``Store.commit``, the token's name as actor, the given message), ``POST /edits/{n}/undo`` reverts one
of the caller's own edits as a new changeset.

Invariants: what an edit may change and how it is validated is ``qgraph.loaders.edits``' (the same checks as a data
file; a bad value answers 422 naming record and field, and nothing is written). An editor undoes only edits they
made in the explorer; reverting anything else is an admin's ``POST /admin/revert/{n}``. Bounded: one record per
request, at most ``MAX_PARTIES`` parties, values of bounded size.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from qgraph.api.deps import DATE_PATTERN, ID_PATTERN
from qgraph.api.responses import error_response
from qgraph.api.routes.admin import REFUSALS, EditorDep
from qgraph.loaders import DatasetError
from qgraph.loaders.edits import DATASET, Cite, Edit, EditRefused, plan
from qgraph.model import AgreementKind, AgreementStatus, Domain
from qgraph.store import RevertConflict, WriteConflict

router = APIRouter(tags=["edits"])

MAX_PARTIES = 20
Id = Annotated[str, Field(max_length=120, pattern=ID_PATTERN)]
Value = str | int | float | bool | list[Annotated[str, Field(max_length=400)]] | None


class CitationIn(BaseModel):
    """A passage of a known source document (document, section, verbatim quote), or general knowledge with a note
    (the record is then marked external)."""

    model_config = ConfigDict(extra="forbid")
    document: Id | None = None
    section: Annotated[str | None, Field(max_length=300)] = None
    footnote: Annotated[int | None, Field(ge=1, le=999)] = None
    quote: Annotated[str | None, Field(max_length=400)] = None
    general_knowledge: bool = False
    note: Annotated[str | None, Field(max_length=1000)] = None


class AgreementIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: AgreementKind
    name: Annotated[str | None, Field(max_length=300)] = None
    name_ja: Annotated[str | None, Field(max_length=300)] = None
    date: Annotated[str | None, Field(pattern=DATE_PATTERN)] = None
    status: AgreementStatus | None = None
    domains: Annotated[list[Domain], Field(max_length=10)] = []
    description: Annotated[str | None, Field(max_length=2000)] = None


class EditIn(BaseModel):
    """One edit: ``set`` a field, ``add_alias``, ``add_party`` / ``remove_party`` of an agreement (``entity``), or
    ``add_agreement`` between ``parties``; with its citation and a message for the history."""

    model_config = ConfigDict(extra="forbid")
    action: Literal["set", "add_alias", "add_party", "remove_party", "add_agreement"]
    entity: Id | None = None
    field: Annotated[str | None, Field(max_length=60, pattern=r"^[a-z_]+$")] = None
    value: Annotated[Value, Field(union_mode="left_to_right")] = None
    parties: Annotated[list[Id], Field(max_length=MAX_PARTIES)] = []
    agreement: AgreementIn | None = None
    citation: CitationIn
    message: Annotated[str, Field(max_length=500)] = ""

    def edit(self) -> Edit:
        value = self.value[:50] if isinstance(self.value, list) else self.value
        if isinstance(value, str) and len(value) > 2000:
            raise EditRefused(422, "value: longer than 2,000 characters")
        return Edit(self.action, self.entity, self.field, value, tuple(self.parties),
                    self.agreement.model_dump(mode="json", exclude_none=True) if self.agreement else None)

    def summary(self) -> str:
        what = {"set": f"set {self.field} of {self.entity}", "add_alias": f"add an alias to {self.entity}",
                "add_party": f"add party {self.value} to {self.entity}",
                "remove_party": f"remove party {self.value} from {self.entity}",
                "add_agreement": f"add an agreement between {', '.join(self.parties)}"}[self.action]
        return self.message.strip() or f"explorer: {what}"


class EditResult(BaseModel):
    entity: str = Field(description="The id of the record written (a new agreement's id for add_agreement).")
    changeset: int | None = Field(description="The changeset recorded; None when the edit changed nothing.")
    data_version: str
    quote_verified: bool | None = Field(
        None, description="True: the quote was found in the document's text; None: general knowledge, or the "
                          "document's text is not on the server to check the quote against.")


class UndoResult(BaseModel):
    undone: int
    changeset: int | None
    data_version: str


@router.post("/edits", response_model=EditResult,
             responses={**REFUSALS, 404: {"description": "No such entity"},
                        409: {"description": "The record changed while the edit was made; nothing was written"},
                        422: {"description": "The edit is not valid (named field); nothing was written"}})
def edit(request: Request, actor: EditorDep, body: EditIn) -> Any:
    """Write one cited edit as one changeset (actor: the token's name)."""
    c = body.citation
    cite = Cite(c.document, c.section, c.footnote, c.quote, c.general_knowledge, c.note)
    with request.app.state.open_writer() as store:
        try:
            write, entity, verified = plan(store, body.edit(), cite, actor)
        except EditRefused as exc:
            return error_response(exc.status, "refused", str(exc))
        except DatasetError as exc:
            return error_response(422, "bad_data", [str(p) for p in exc.problems])
        try:
            result = store.commit(write, actor=actor, message=body.summary(),
                                  documents=[c.document] if c.document and not c.general_knowledge else [])
        except WriteConflict as exc:  # another write changed the record between the read and the write
            return error_response(409, "conflict", str(exc))
    cs = result.changeset
    return EditResult(entity=entity, changeset=cs.number if cs else None, data_version=result.report.data_version,
                      quote_verified=verified)


@router.post("/edits/{number}/undo", response_model=UndoResult,
             responses={**REFUSALS, 404: {"description": "No such changeset"},
                        409: {"description": "Later changesets touched the same facts (named)"}})
def undo(request: Request, actor: EditorDep, number: Annotated[int, Path(ge=1, le=10**12)]) -> Any:
    """Undo one of the caller's own explorer edits, as a new changeset."""
    with request.app.state.open_writer() as store:
        target = store.changeset(number)
        if target is None:
            return error_response(404, "not_found", f"no changeset number {number}")
        if target.actor != actor or target.dataset != DATASET or target.reverts is not None:
            return error_response(403, "forbidden", f"changeset {number} is not an explorer edit of {actor}'s; an admin "
                                              "reverts any changeset with POST /admin/revert/{number}")
        try:
            result = store.revert(number, actor=actor, message=f"undo changeset {number}")
        except RevertConflict as exc:
            return error_response(409, "conflict", str(exc), later=exc.later)
    cs = result.changeset
    return UndoResult(undone=number, changeset=cs.number if cs else None, data_version=result.report.data_version)
