"""TLS material: a trustme CA persisted in the state directory, and a leaf for 127.0.0.1/localhost.

The CA key and certificate are kept (``ca.pem``, ``ca-key.pem``) so a restarted emulator with the same
state directory keeps the CA clients already trust. HTTPS is mandatory: azure-core refuses bearer
tokens over http (research/arm-api.md §5) and msal/azure-identity reject http authorities
(research/identity.md §0).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import trustme


@dataclass(frozen=True)
class TlsFiles:
    ca_path: Path
    cert_path: Path
    key_path: Path


def prepare_tls(directory: Path, leaf_directory: Path) -> TlsFiles:
    """Load or create the CA under ``directory``; issue a fresh server certificate into ``leaf_directory``.

    The leaf is per process (a private directory), so an ``emulator serve`` and a CLI run sharing one state
    directory never rewrite each other's key files; CA creation is serialized with a lock file.
    """
    directory.mkdir(parents=True, exist_ok=True)
    ca_path = directory / "ca.pem"
    ca_key_path = directory / "ca-key.pem"
    with _locked(directory / ".ca.lock"):
        if ca_path.exists() and ca_key_path.exists():
            ca = trustme.CA.from_pem(ca_path.read_bytes(), ca_key_path.read_bytes())
        else:
            ca = trustme.CA(organization_name="tenantctl emulator")
            ca_key_path.write_bytes(ca.private_key_pem.bytes())
            ca_key_path.chmod(0o600)
            ca.cert_pem.write_to_path(str(ca_path))
    leaf = ca.issue_cert("127.0.0.1", "localhost", "::1")
    cert_path = leaf_directory / "server.pem"
    key_path = leaf_directory / "server-key.pem"
    cert_path.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
    key_path.write_bytes(leaf.private_key_pem.bytes())
    key_path.chmod(0o600)
    return TlsFiles(ca_path=ca_path, cert_path=cert_path, key_path=key_path)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    try:
        import fcntl
    except ImportError:
        yield
        return
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
