"""Slack tokens at rest: encrypted with ROUNDS_TOKEN_KEY, never stored in plain text.

ROUNDS_TOKEN_KEY holds one or more Fernet keys (`Fernet.generate_key()`), separated by
commas. The first key encrypts; every key decrypts. To rotate the key:

1. put a new key first and keep the old ones after it
   (`ROUNDS_TOKEN_KEY=<new>,<old>`), and restart every process;
2. run `python -m jobs tokens rekey`, which re-encrypts every stored token with the new key
   (a token refreshed or installed meanwhile is written with it anyway);
3. drop the old key from ROUNDS_TOKEN_KEY and restart again.

A key that is lost makes the tokens it encrypted unreadable: the workspaces install Rounds
again ("Add to Slack"), and nothing else is lost.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class TokenKeyError(ValueError):
    """ROUNDS_TOKEN_KEY is not a comma-separated list of Fernet keys."""


class UnreadableTokenError(Exception):
    """A stored token that none of the configured keys decrypts (a key was dropped too soon)."""


def parse_keys(raw: str) -> list[bytes]:
    """The keys of a ROUNDS_TOKEN_KEY value, first (the encrypting one) first."""
    keys = [part.strip() for part in raw.split(",") if part.strip()]
    if not keys:
        raise TokenKeyError("it holds no key")
    for position, key in enumerate(keys, start=1):
        try:
            decoded = base64.urlsafe_b64decode(key.encode("ascii"))
        except (binascii.Error, UnicodeEncodeError, ValueError):
            decoded = b""
        if len(decoded) != 32:
            which = "it" if len(keys) == 1 else f"key {position} of {len(keys)}"
            raise TokenKeyError(f"{which} is not a Fernet key (32 url-safe base64-encoded bytes)")
    return [key.encode("ascii") for key in keys]


class TokenCipher:
    """Encrypts with the first key, decrypts with any of them (cryptography's MultiFernet)."""

    def __init__(self, keys: Sequence[bytes]) -> None:
        if not keys:
            raise TokenKeyError("it holds no key")
        self._fernet = MultiFernet([Fernet(key) for key in keys])

    @classmethod
    def from_setting(cls, raw: str) -> TokenCipher:
        return cls(parse_keys(raw))

    def encrypt(self, token: str) -> str:
        return self._fernet.encrypt(token.encode()).decode("ascii")

    def decrypt(self, stored: str) -> str:
        try:
            return self._fernet.decrypt(stored.encode("ascii")).decode()
        except (InvalidToken, UnicodeEncodeError) as error:
            raise UnreadableTokenError(
                "a stored Slack token cannot be decrypted with any key in ROUNDS_TOKEN_KEY"
            ) from error

    def reencrypt(self, stored: str) -> str:
        """The same token, encrypted with the first key (for key rotation)."""
        try:
            return self._fernet.rotate(stored.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeEncodeError) as error:
            raise UnreadableTokenError(
                "a stored Slack token cannot be decrypted with any key in ROUNDS_TOKEN_KEY"
            ) from error


def new_key() -> str:
    """A fresh key for ROUNDS_TOKEN_KEY."""
    return Fernet.generate_key().decode("ascii")
