"""The Ed25519 key that signs checkpoints."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from cascade_shared.settings import Settings
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from cascade_audit.settings import AuditSettings

log = logging.getLogger(__name__)

KEY_FILE_NAME = "audit-signing-key.pem"


def _read(path: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise SystemExit(f"{path} is not an Ed25519 private key")
    return key


def write_new_key(path: Path) -> Ed25519PrivateKey:
    """Make a key file readable by its owner only; fails if the file already exists."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    return key


def signing_key(audit: AuditSettings, settings: Settings) -> Ed25519PrivateKey:
    """The configured key file; in embedded mode (no file configured, in-process bus) a key made
    once and kept in the data folder, like the dev token secret."""
    if audit.signing_key_file is not None:
        if not audit.signing_key_file.exists():
            raise SystemExit(f"CASCADE_AUDIT_SIGNING_KEY_FILE {audit.signing_key_file} is missing")
        return _read(audit.signing_key_file)
    path = Path(settings.data_dir) / KEY_FILE_NAME
    if settings.bus != "inprocess":
        log.warning(
            "no CASCADE_AUDIT_SIGNING_KEY_FILE: checkpoints are signed with %s; give every "
            "replica the same key file in production",
            path,
        )
    if path.exists():
        return _read(path)
    try:
        return write_new_key(path)
    except FileExistsError:  # another process made it first
        return _read(path)
