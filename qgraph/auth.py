"""Who may write: named tokens with a role, configured from the environment, never stored in the clear.

- ``QGRAPH_TOKENS``: ``name:role:token`` entries separated by commas (the environment holds secrets, as for
  ``NEO4J_PASSWORD``); ``QGRAPH_TOKENS_FILE``: a file of lines ``name role sha256$<salt>$<digest>`` (``#`` comments),
  made by ``qgraph token new NAME --role editor``, which prints the token once; ``QGRAPH_ADMIN_TOKEN`` (the setting
  from before named tokens) is an ``admin`` token named ``admin``.
- Roles: ``editor`` (ingest, review, edits) and ``admin`` (reload, revert, repair; everything an editor may do).
- Every token is at least 24 characters. A presented token is hashed with each entry's salt and compared with
  ``hmac.compare_digest`` against every entry (no early exit), so the time taken tells nothing of which entry, if
  any, came close. Tokens are random (``secrets.token_hex``), so one salted SHA-256 suffices (a slow password hash
  protects guessable secrets; a 192-bit random token is not guessable).
- The caller is known by the token's name only: it is the actor of the changesets it writes.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Role = Literal["editor", "admin"]
ROLES: tuple[Role, ...] = ("editor", "admin")
MIN_LENGTH = 24
_RANK = {"editor": 1, "admin": 2}


@dataclass(frozen=True)
class TokenEntry:
    name: str
    role: Role
    salt: bytes
    digest: bytes

    def matches(self, token: str) -> bool:
        return hmac.compare_digest(_digest(self.salt, token), self.digest)


def _digest(salt: bytes, token: str) -> bytes:
    return hashlib.sha256(salt + token.encode()).digest()


def allows(role: Role, needed: Role) -> bool:
    return _RANK[role] >= _RANK[needed]


def hashed_line(name: str, role: Role, token: str) -> str:
    """The tokens-file line for a token (with a fresh salt)."""
    salt = secrets.token_bytes(16)
    return f"{name} {role} sha256${salt.hex()}${_digest(salt, token).hex()}"


def _check(name: str, role: str, where: str) -> Role:
    if not name or not name.replace("-", "").replace("_", "").replace(".", "").isalnum():
        raise ValueError(f"{where}: token name {name!r} must be letters, digits, '-', '_' or '.'")
    if role not in ROLES:
        raise ValueError(f"{where}: role {role!r} of token {name!r} must be one of {', '.join(ROLES)}")
    return role  # type: ignore[return-value]


def parse_env(text: str) -> list[TokenEntry]:
    """``name:role:token,…`` (``QGRAPH_TOKENS``)."""
    out = []
    for i, part in enumerate(p.strip() for p in text.split(",")):
        if not part:
            continue
        pieces = part.split(":", 2)
        if len(pieces) != 3:
            raise ValueError(f"QGRAPH_TOKENS entry {i + 1}: write name:role:token")
        name, role, token = pieces
        checked = _check(name, role, f"QGRAPH_TOKENS entry {i + 1}")
        if len(token) < MIN_LENGTH:
            raise ValueError(f"QGRAPH_TOKENS entry {i + 1} ({name}): the token must be at least {MIN_LENGTH} characters")
        salt = secrets.token_bytes(16)
        out.append(TokenEntry(name, checked, salt, _digest(salt, token)))
    return out


def parse_file(path: Path) -> list[TokenEntry]:
    """Lines ``name role sha256$salt$digest`` (``QGRAPH_TOKENS_FILE``)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ValueError(f"QGRAPH_TOKENS_FILE {path}: cannot read it: {exc.strerror}") from None
    return parse_file_lines(lines, str(path))


def parse_file_lines(lines: list[str], path: str = "token line") -> list[TokenEntry]:
    out = []
    for number, line in enumerate(lines, 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        where = f"{path}, line {number}"
        parts = line.split()
        if len(parts) != 3 or parts[2].count("$") != 2 or not parts[2].startswith("sha256$"):
            raise ValueError(f"{where}: write `name role sha256$salt$digest` (see `qgraph token new`)")
        name, role, hashed = parts
        _, salt, digest = hashed.split("$")
        try:
            entry = TokenEntry(name, _check(name, role, where), bytes.fromhex(salt), bytes.fromhex(digest))
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None
        if len(entry.digest) != 32:
            raise ValueError(f"{where}: the digest must be 64 hex digits")
        out.append(entry)
    return out


def identify(entries: list[TokenEntry], token: str) -> TokenEntry | None:
    """The entry the token belongs to, or None; every entry is compared (constant in the number of entries)."""
    found = None
    for entry in entries:
        if entry.matches(token) and found is None:
            found = entry
    return found


def new_token() -> str:
    return secrets.token_hex(24)
