"""Mail bodies and attachments on disk: encrypted at rest, durable before the commit, and
removed again if the commit does not happen.

File layout: ``MAGIC(8) | nonce(12) | AES-256-GCM(ciphertext + tag)``; the associated data is
the magic plus the file's path under the data directory, so a file copied over another one,
or any flipped byte, fails to open.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from fincall.core.errors import DomainError
from fincall.core.settings import Settings

MAGIC = b"FCMAIL\x01\x00"
_UNSAFE = re.compile(r"[^\w.\-]+")


class StoredFileDamaged(DomainError):
    code = "email-file-damaged"
    kind = "conflict"


def derive_key(master_key: str | bytes) -> bytes:
    """The 256-bit key for mail files, derived from the installation's master key (HKDF)."""
    raw = master_key.encode() if isinstance(master_key, str) else master_key
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"fincall-mail-at-rest")
    return hkdf.derive(raw)


def safe_filename(name: str, *, limit: int = 120) -> str:
    """A file name that cannot leave its folder (no separators, no leading dots)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = _UNSAFE.sub("_", base).lstrip(".")[-limit:]
    return cleaned or "file"


def _inside(root: Path, relative: str) -> Path:
    path = (root / relative).resolve()
    if not path.is_relative_to(root.resolve()):
        raise ValueError(f"path escapes the data directory: {relative}")
    return path


def read(root: Path, relative: str, key: bytes) -> bytes:
    """The plain content of a stored file; ``StoredFileDamaged`` if it was altered."""
    blob = _inside(root, relative).read_bytes()
    if not blob.startswith(MAGIC) or len(blob) < len(MAGIC) + 12 + 16:
        raise StoredFileDamaged("not a fincall mail file", path=relative)
    nonce = blob[len(MAGIC) : len(MAGIC) + 12]
    try:
        return AESGCM(key).decrypt(nonce, blob[len(MAGIC) + 12 :], MAGIC + relative.encode())
    except InvalidTag:
        raise StoredFileDamaged("the file does not match its seal", path=relative) from None


def mail_key(settings: Settings) -> bytes:
    """The mail-file key of an installation (derived from its recording master key)."""
    return derive_key(settings.recording_master_key)


class StagedFiles:
    """Writes encrypted files under ``root`` (fsynced), remembering them for a rollback."""

    def __init__(self, root: Path, key: bytes) -> None:
        self.root = root
        self.key = key
        self.written: list[Path] = []

    def write(self, relative: str, data: bytes) -> Path:
        path = _inside(self.root, relative)
        path.parent.mkdir(parents=True, exist_ok=True)
        nonce = os.urandom(12)
        sealed = AESGCM(self.key).encrypt(nonce, data, MAGIC + relative.encode())
        tmp = path.with_name(path.name + ".part")
        with open(tmp, "wb") as fh:
            fh.write(MAGIC + nonce + sealed)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        self.written.append(path)
        return path

    @classmethod
    def for_settings(cls, settings: Settings) -> StagedFiles:
        return cls(settings.data_dir, mail_key(settings))

    def read(self, relative: str) -> bytes:
        return read(self.root, relative, self.key)

    def discard(self) -> None:
        """Delete everything written so far (the transaction did not commit)."""
        for path in self.written:
            path.unlink(missing_ok=True)
        self.written.clear()
