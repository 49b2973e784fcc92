"""Passwords: argon2id hashes (argon2-cffi) and the length rule.

Hashing uses argon2-cffi's `PasswordHasher` with its defaults: argon2id, the first
recommended profile of RFC 9106 lowered to 64 MiB of memory, 3 passes, 4 lanes, a 16-byte salt
of its own per hash. A hash made with older parameters is rewritten at the next successful
login (`needs_rehash`).

The rule follows the ANSSI (« Recommandations relatives à l'authentification multifacteur et
aux mots de passe », 2021, and its MonServiceSécurisé measure « Fixer des contraintes de
longueur et de complexité des mots de passe »): at least 12 characters, 16 for an
administrator. Length is what makes a password strong; no composition rule is imposed (the
guide prefers length, and repeated failures lock the account). At most 1,024 characters: the
hash of a megabyte-long password would cost the server for nothing. A password is never
logged, never stored in clear, never echoed in a message.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from service.errors import InvalidInputError

MIN_LENGTH = 12
MIN_LENGTH_ADMIN = 16
MAX_LENGTH = 1024

_HASHER = PasswordHasher()
_DUMMY_HASH = _HASHER.hash("maillage: compte inexistant, vérification à blanc")
"""Verified when the email is unknown: the answer takes as long as for a real account."""


def check_rule(password: str, *, role: str, email: str) -> None:
    """Refuse a password that breaks the rule (French message that never quotes it)."""
    minimum = MIN_LENGTH_ADMIN if role == "admin" else MIN_LENGTH
    if len(password) < minimum:
        who = "d'un administrateur" if role == "admin" else "d'un compte"
        raise InvalidInputError(
            f"Mot de passe trop court : le mot de passe {who} compte au moins {minimum} "
            "caractères (recommandation de l'ANSSI)."
        )
    if len(password) > MAX_LENGTH:
        raise InvalidInputError(f"Mot de passe trop long : {MAX_LENGTH} caractères au plus.")
    if password.strip().lower() == email.strip().lower():
        raise InvalidInputError(
            "Mot de passe refusé : il ne doit pas être l'adresse électronique du compte."
        )


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify(stored_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored_hash``; ``None`` (no password: OpenID Connect only,
    or an unknown account) is checked against a dummy hash and fails, in the same time."""
    if len(password) > MAX_LENGTH:
        return False
    try:
        return _HASHER.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _HASHER.check_needs_rehash(stored_hash)
