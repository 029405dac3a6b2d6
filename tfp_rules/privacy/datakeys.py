"""Data keys: the keys that seal personal data at rest (AES-256-GCM), kept in a key file
outside the database, so a copied or lost database file reveals no facts, traces or reasons.

A key file is JSON, readable by its owner only:
`{"current": "dk-...", "keys": {"dk-...": "<base64 of 32 bytes>", ...}}`. New values are
sealed with the current key; older keys stay in the file until no value needs them
(`tfp keys rotate-data-key` re-seals everything under a new current key, then can drop them).

A sealed value is bytes: MAGIC, the key id's length (one byte) and the key id, a 12-byte
random nonce, then the ciphertext with its 16-byte tag. The key id travels with every value,
so each can be opened whatever key is current. The associated data is the value's *context*
(its table, column and record id): a sealed value copied onto another record or column does
not open. Blind digests (`digests`) let the store find a person by member ref and date of
birth without decrypting every facts document: an HMAC under a key derived from each data
key, so they, too, mean nothing without the key file.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import os
import secrets
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ..errors import TfpError
from .private_files import read_private

log = logging.getLogger("tfp.datakeys")

KEY_FILE_ENV = "TFP_DATA_KEY_FILE"
DEV_MODE_ENV = "TFP_DEV_MODE"
MAGIC = b"TFPS1"
KEY_BYTES = 32  # AES-256
NONCE_BYTES = 12  # GCM's standard nonce, random per value
MAKE_KEY = (
    "make one with `tfp keys new-data-key --file PATH` (keep it outside the database's"
    f" directory and backups) and give its path in ${KEY_FILE_ENV}"
)
# The digests of values stored without a data key (development mode) use this public key:
# they are plain hashes, as searchable as the plaintext beside them.
PLAIN = ""
_PLAIN_INDEX_KEY = b"tfp-rules plaintext index"


class DataKeyError(TfpError):
    """A key file is missing, unreadable, malformed or open to others; or a sealed value
    names a key that is not loaded."""


class AlteredValueError(DataKeyError):
    """A stored value does not open under its key: it was altered, or moved from another
    record or column."""


def new_key_id(now: datetime | None = None) -> str:
    """A fresh key id: the day it was made and 8 random hex digits (names, never reveals)."""
    day = (now or datetime.now(UTC)).strftime("%Y%m%d")
    return f"dk-{day}-{secrets.token_hex(4)}"


def sealed_key_id(value: object) -> str | None:
    """The id of the key `value` is sealed with, or None if it is not a sealed value."""
    if not isinstance(value, bytes) or not value.startswith(MAGIC):
        return None
    size = value[len(MAGIC)] if len(value) > len(MAGIC) else 0
    start = len(MAGIC) + 1
    return value[start : start + size].decode("ascii", "replace")


@dataclass(frozen=True)
class DataKeys:
    """The loaded data keys, by id, and which one seals new values."""

    keys: Mapping[str, bytes] = field(repr=False)
    current: str
    # The key file these came from: a value naming a key added to it since (by a rotation
    # in another process) is opened after reading the file again.
    source: Path | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_later", {})  # keys found in `source` since loading
        if self.current not in self.keys:
            raise DataKeyError(f"the current data key {self.current!r} is not among the keys")
        for key_id, key in self.keys.items():
            if not key_id or len(key_id.encode("ascii", "replace")) > 255 or not key_id.isascii():
                raise DataKeyError(f"{key_id!r} is not a usable key id (ASCII, 1-255 bytes)")
            if len(key) != KEY_BYTES:
                raise DataKeyError(f"data key {key_id!r} is not {KEY_BYTES} bytes long")

    @classmethod
    def generate(cls) -> DataKeys:
        """A key ring of one new random key."""
        key_id = new_key_id()
        return cls({key_id: AESGCM.generate_key(bit_length=KEY_BYTES * 8)}, key_id)

    def with_new_key(self) -> DataKeys:
        """These keys and a new random one, which becomes current."""
        key_id = new_key_id()
        while key_id in self.keys:  # pragma: no cover - 32 random bits, the same day
            key_id = new_key_id()
        keys = {**self.keys, key_id: AESGCM.generate_key(bit_length=KEY_BYTES * 8)}
        return DataKeys(keys, key_id, self.source)

    def without(self, key_ids: set[str]) -> DataKeys:
        """These keys less `key_ids` (never the current one)."""
        if self.current in key_ids:
            raise DataKeyError(f"the current data key {self.current!r} cannot be dropped")
        kept = {k: v for k, v in self.keys.items() if k not in key_ids}
        return DataKeys(kept, self.current, self.source)

    @property
    def prefix(self) -> bytes:
        """How every value sealed with the current key begins."""
        return _prefix(self.current)

    def seal(self, text: str, context: str) -> bytes:
        """`text` sealed with the current key, bound to `context`."""
        nonce = os.urandom(NONCE_BYTES)
        box = AESGCM(self.keys[self.current])
        return self.prefix + nonce + box.encrypt(nonce, text.encode(), context.encode())

    def open(self, value: bytes | str | None, context: str) -> str | None:
        """The text of a sealed value (a plain str or None passes through unchanged);
        DataKeyError if its key is not loaded or it does not open in this context."""
        key_id = sealed_key_id(value)
        if key_id is None:
            if isinstance(value, bytes):
                raise AlteredValueError(f"{context}: a stored value is neither text nor sealed")
            return value
        assert isinstance(value, bytes)
        key = self.keys.get(key_id) or self._later_key(key_id)
        if key is None:
            raise DataKeyError(
                f"{context} is sealed with data key {key_id!r}, which is not in the key file"
                f" (loaded: {', '.join(sorted(self.keys))})"
            )
        start = len(_prefix(key_id))
        nonce, box = value[start : start + NONCE_BYTES], value[start + NONCE_BYTES :]
        try:
            return AESGCM(key).decrypt(nonce, box, context.encode()).decode()
        except InvalidTag as exc:
            raise AlteredValueError(
                f"{context} does not open under data key {key_id!r}: it was altered, or"
                " belongs to another record"
            ) from exc

    def _later_key(self, key_id: str) -> bytes | None:
        """A key added to the key file since it was loaded (None if it is not there)."""
        later: dict[str, bytes] = self._later  # type: ignore[attr-defined]
        if key_id not in later and self.source is not None:
            try:
                later.update(DataKeys.load(self.source).keys)
            except DataKeyError:
                return None
        return later.get(key_id)

    def digest(self, text: str) -> tuple[str, str]:
        """(the current key id, the blind digest of `text` under it)."""
        return self.current, _digest(_index_key(self.keys[self.current]), text)

    def digests(self, text: str) -> Iterator[str]:
        """The blind digest of `text` under every loaded key, and the plaintext one."""
        yield plain_digest(text)
        for key in self.keys.values():
            yield _digest(_index_key(key), text)

    # -- the key file ----------------------------------------------------------------------

    def to_json(self) -> str:
        keys = {k: base64.b64encode(v).decode() for k, v in self.keys.items()}
        return json.dumps({"current": self.current, "keys": keys}, indent=2) + "\n"

    def save(self, path: Path) -> None:
        """Write the key file, owner-only, replacing it whole (never half-written)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as out:
                out.write(self.to_json())
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, path)
        except OSError as exc:
            temporary.unlink(missing_ok=True)
            raise DataKeyError(f"{path}: cannot write the data key file: {exc}") from exc

    @classmethod
    def load(cls, path: Path) -> DataKeys:
        """The key file at `path`; DataKeyError, saying what is wrong, if it cannot be used."""
        text = read_private(path, "data key file", DataKeyError, MAKE_KEY)
        try:
            document = json.loads(text)
            keys = {str(k): base64.b64decode(v, validate=True) for k, v in document["keys"].items()}
            current = document["current"]
        except (ValueError, KeyError, TypeError, AttributeError, binascii.Error) as exc:
            raise DataKeyError(
                f'{path}: not a data key file ({{"current": ID, "keys": {{ID: base64}}}}): {exc}'
            ) from exc
        if not isinstance(current, str):
            raise DataKeyError(f"{path}: 'current' must name a key")
        try:
            return cls(keys, current, path)
        except DataKeyError as exc:
            raise DataKeyError(f"{path}: {exc}") from exc


class LiveDataKeys:
    """The keys of a key file, read again when the file changes (looked at no more than every
    `check_every` seconds): a running service seals with the new key soon after a rotation,
    without a restart. A file that has become unusable keeps the keys last loaded."""

    def __init__(self, keys: DataKeys, *, check_every: float = 2.0):
        self._keys = keys
        self._check_every = check_every
        self._checked = time.monotonic()
        self._seen = self._signature()
        self._lock = threading.Lock()

    def _signature(self) -> tuple[int, int, int] | None:
        if self._keys.source is None:
            return None
        try:
            found = self._keys.source.stat()
        except OSError:
            return None
        return found.st_ino, found.st_mtime_ns, found.st_size

    def current(self) -> DataKeys:
        if self._keys.source is None or time.monotonic() - self._checked < self._check_every:
            return self._keys
        with self._lock:
            self._checked = time.monotonic()
            seen = self._signature()
            if seen is not None and seen != self._seen:
                try:
                    self._keys = DataKeys.load(self._keys.source)
                    self._seen = seen
                except DataKeyError as exc:
                    log.warning("kept the data keys loaded before: %s", exc)
        return self._keys


def _prefix(key_id: str) -> bytes:
    encoded = key_id.encode("ascii")
    return MAGIC + bytes([len(encoded)]) + encoded


def _index_key(key: bytes) -> bytes:
    """The key blind digests are made with, derived from a data key (never the key itself)."""
    return hmac.new(key, b"tfp-rules person index 1", hashlib.sha256).digest()


def _digest(key: bytes, text: str) -> str:
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def plain_digest(text: str) -> str:
    """The digest of `text` as stored without a data key (development mode)."""
    return _digest(_PLAIN_INDEX_KEY, text)


def key_file_from_env(env: Mapping[str, str] = os.environ) -> Path | None:
    """The key file named by $TFP_DATA_KEY_FILE, if any."""
    named = env.get(KEY_FILE_ENV, "").strip()
    return Path(named) if named else None


def dev_mode(env: Mapping[str, str] = os.environ) -> bool:
    """Whether $TFP_DEV_MODE allows personal data to be stored unencrypted."""
    return env.get(DEV_MODE_ENV, "").strip().lower() in ("1", "true", "yes")


def data_keys_from_env(env: Mapping[str, str] = os.environ) -> DataKeys | None:
    """The data keys the environment names, or None in development mode; DataKeyError if
    neither, saying why and what to do."""
    path = key_file_from_env(env)
    if path is not None:
        return DataKeys.load(path)
    if dev_mode(env):
        return None
    raise DataKeyError(
        "no data key: personal data is encrypted at rest and this process was given no key"
        f" file; {MAKE_KEY}, or set {DEV_MODE_ENV}=1 to store it unencrypted (development"
        " only, never with real families' data)"
    )
