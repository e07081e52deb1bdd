"""Settings, read once from the environment (and an optional ``.env`` file).

``QGRAPH_*`` variables configure qgraph itself; the Neo4j connection uses the conventional ``NEO4J_*`` names so the
same environment serves Neo4j's own tools. Secrets are ``SecretStr``: they never appear in a repr or a log line.
Nothing here assumes the server is local: any ``neo4j://``, ``neo4j+s://`` (Aura, clusters), ``bolt://`` or
``bolt+s://`` URI works.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from platformdirs import user_data_dir
from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_NEO4J_SCHEMES = ("neo4j", "neo4j+s", "neo4j+ssc", "bolt", "bolt+s", "bolt+ssc")


class Settings(BaseSettings):
    # An empty variable (NEO4J_DATABASE=) means "not set", as in a shell: the default applies, never "".
    model_config = SettingsConfigDict(env_prefix="QGRAPH_", env_file=".env", extra="ignore", env_ignore_empty=True)

    store: Literal["memory", "neo4j"] = Field(
        default="memory", description="Which store backs qgraph: the embedded networkx store or a Neo4j server.")
    data_dir: Path = Field(
        default_factory=lambda: Path(user_data_dir("qgraph", appauthor=False)),
        description="Folder where the embedded store keeps its single file (graph.json).")

    neo4j_uri: str = Field(default="bolt://localhost:7687", validation_alias=AliasChoices("NEO4J_URI"),
                           description="Neo4j URI: bolt://, neo4j://, neo4j+s:// (Aura, clusters) …")
    neo4j_user: str = Field(default="neo4j", validation_alias=AliasChoices("NEO4J_USER", "NEO4J_USERNAME"))
    neo4j_password: SecretStr = Field(default=SecretStr(""), validation_alias=AliasChoices("NEO4J_PASSWORD"))
    neo4j_write_user: str | None = Field(
        default=None, validation_alias=AliasChoices("NEO4J_WRITE_USER"),
        description="User for loads and clears, when reads use a read-only user (NEO4J_USER); default NEO4J_USER.")
    neo4j_write_password: SecretStr | None = Field(default=None, validation_alias=AliasChoices("NEO4J_WRITE_PASSWORD"))
    neo4j_database: str | None = Field(default=None, validation_alias=AliasChoices("NEO4J_DATABASE"),
                                       description="Database name; the server's default database when unset.")
    neo4j_timeout: float = Field(default=15.0, gt=0, le=600,
                                 description="Seconds a query (and connection acquisition) may take.")

    breaker_window: float = Field(
        default=2.0, ge=0, le=600,
        description="Seconds Neo4j calls fail at once (503) after a failed connection, before a connectivity probe "
                    "decides whether to try again (a circuit breaker; per process).")

    request_timeout: float = Field(
        default=30.0, gt=0, le=3600,
        description="Seconds the API gives one request before answering 503 (a backstop for a hung database).")

    history_diff_limit: int = Field(
        default=50_000, ge=1, le=10_000_000,
        description="A changeset whose diff has more items (nodes + edges) is recorded as a summary: counts and ids, "
                    "no values (it cannot be reverted).")
    allowed_hosts: list[str] | None = Field(
        default=None, description="Host header names the API answers (JSON list; \"*.example.org\" patterns; "
                                  "[\"*\"]: any). Default: the loopback names when `qgraph serve` binds a loopback "
                                  "address, any otherwise; other names get 400 (DNS rebinding).")
    max_body_bytes: int = Field(default=16 * 2**20, ge=0, le=2**31,
                                description="Largest request body; a longer one answers 413 (never less than "
                                            "QGRAPH_INGEST_MAX_BYTES plus 1 MiB for the upload's form: see body_limit).")
    max_header_bytes: int = Field(default=32 * 2**10, ge=1024, le=2**20,
                                  description="Largest request line plus headers (qgraph serve); past it 431.")
    max_headers: int = Field(default=100, ge=8, le=1000,
                             description="Most request headers (qgraph serve); past it 431.")
    max_request_line: int = Field(default=8 * 2**10, ge=256, le=2**20,
                                  description="Longest request line, i.e. method, URL and version (qgraph serve); "
                                              "past it 414.")
    header_timeout: float = Field(default=10.0, gt=0, le=600,
                                  description="Seconds a connection may take to send a request's headers "
                                              "(qgraph serve); then 408 and closed.")

    expensive_concurrency: int = Field(
        default=2, ge=1, le=64,
        description="Expensive requests (/analysis/*, /export/*, /paths) one API process runs at once.")
    expensive_queue: int = Field(
        default=8, ge=0, le=1000,
        description="Expensive requests that may wait for a place; past them 429 with Retry-After (per process).")

    batch_size: int = Field(default=1000, ge=1, le=100_000, description="Rows per UNWIND batch when loading.")

    admin_token: SecretStr | None = Field(
        default=None, description="An admin bearer token named `admin` (kept from before named tokens; see "
                                  "QGRAPH_TOKENS). At least 24 characters.")
    tokens: SecretStr | None = Field(
        default=None, description="Named bearer tokens for the write endpoints: `name:role:token` entries separated "
                                  "by commas, role editor or admin. Without any token the API is read-only.")
    tokens_file: Path | None = Field(
        default=None, description="A file of salted token hashes, one `name role sha256$salt$digest` a line "
                                  "(`qgraph token new` makes them); the tokens themselves are never stored.")
    reload_paths: list[Path] = Field(
        default=[], description="Data files or folders POST /admin/reload loads (JSON list); default: the curated "
                                "dataset. Never taken from the request.")

    ingest_max_bytes: int = Field(
        default=50 * 1024 * 1024, ge=1024, le=2 * 1024**3,
        description="Largest document `qgraph ingest` and POST /ingest accept, in bytes (checked before reading).")
    ingest_max_pages: int = Field(default=2000, ge=1, le=100_000, description="Most pages a PDF may have to be ingested.")
    ingest_max_unpacked_bytes: int = Field(
        default=200 * 1024 * 1024, ge=1024, le=8 * 1024**3,
        description="Most bytes a .docx may unpack to (its zip's declared sizes; refuses zip bombs).")

    @field_validator("neo4j_uri")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        scheme = value.split("://", 1)[0] if "://" in value else ""
        if scheme not in _NEO4J_SCHEMES:
            raise ValueError(f"NEO4J_URI must start with one of {', '.join(s + '://' for s in _NEO4J_SCHEMES)}")
        return value

    @field_validator("admin_token")
    @classmethod
    def _strong_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 24:
            raise ValueError("QGRAPH_ADMIN_TOKEN must be at least 24 characters (e.g. `openssl rand -hex 24`)")
        return value

    def token_entries(self) -> list[Any]:
        """Every configured write token (``qgraph.auth.TokenEntry``), from QGRAPH_ADMIN_TOKEN, QGRAPH_TOKENS and
        QGRAPH_TOKENS_FILE. Raises ValueError naming the bad entry."""
        from qgraph import auth

        entries = []
        if self.admin_token is not None:
            entries += auth.parse_env(f"admin:admin:{self.admin_token.get_secret_value()}")
        if self.tokens is not None:
            entries += auth.parse_env(self.tokens.get_secret_value())
        if self.tokens_file is not None:
            entries += auth.parse_file(self.tokens_file)
        names = [e.name for e in entries]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"token name(s) configured twice: {', '.join(duplicates)}")
        return entries

    def neo4j_auth(self, *, write: bool = False) -> tuple[str, str] | None:
        """(user, password) for reads, or for writes when a separate write user is configured; None: no auth."""
        if write and self.neo4j_write_user:
            password = self.neo4j_write_password.get_secret_value() if self.neo4j_write_password else ""
            return (self.neo4j_write_user, password)
        password = self.neo4j_password.get_secret_value()
        return (self.neo4j_user, password) if password else None

    @property
    def body_limit(self) -> int:
        """The body limit the API enforces: ``max_body_bytes``, raised to fit an ingest upload and its form."""
        return max(self.max_body_bytes, self.ingest_max_bytes + 2**20)

    @property
    def memory_file(self) -> Path:
        return self.data_dir / "graph.json"


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings; tests call ``get_settings.cache_clear()`` after changing the environment."""
    return Settings()
