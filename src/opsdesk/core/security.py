"""Credential hashing.

Passwords are low-entropy and get argon2id. API tokens are 32 random bytes, so a plain SHA-256
digest is already infeasible to reverse and costs microseconds per request instead of the tens
of milliseconds argon2 is designed to cost (docs/adr/0001).
"""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
