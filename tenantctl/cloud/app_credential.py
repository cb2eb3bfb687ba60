"""The provider's multi-tenant Entra app credential, from the environment or files only.

Never from the manifest (it is committed), never printed, logged or shown in a repr. Precedence,
first match wins:

1. ``TENANTCTL_APP_CERTIFICATE``: a PEM file with the private key and the certificate, or a PFX/PKCS#12
   file (password in ``TENANTCTL_APP_CERTIFICATE_PASSWORD``). Signs a PS256 assertion with the
   SHA-256 thumbprint (``x5t#S256``).
2. ``TENANTCTL_APP_FEDERATED_TOKEN_FILE``: a federated token file, read fresh for every token request.
3. ``TENANTCTL_APP_CLIENT_SECRET``: a client secret (supported, discouraged: prefer 1, 2 or 5).
4. ``AZURE_FEDERATED_TOKEN_FILE``: the ambient workload-identity token file (AKS and similar).
5. ``ACTIONS_ID_TOKEN_REQUEST_URL`` + ``ACTIONS_ID_TOKEN_REQUEST_TOKEN``: GitHub Actions OIDC, a fresh
   token with audience ``api://AzureADTokenExchange`` for every token request.

Explicit ``TENANTCTL_APP_*`` variables beat ambient platform ones (4, 5) on purpose: a pipeline may
hold an id-token permission or a workload identity meant for something else, and whoever set a
``TENANTCTL_`` variable meant tenantctl to use it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from tenantctl.errors import UsageError

__all__ = ["CREDENTIAL_VARIABLES", "AppCredential", "load_app_credential"]

CERTIFICATE = "TENANTCTL_APP_CERTIFICATE"
CERTIFICATE_PASSWORD = "TENANTCTL_APP_CERTIFICATE_PASSWORD"  # noqa: S105 - a variable name
FEDERATED_TOKEN_FILE = "TENANTCTL_APP_FEDERATED_TOKEN_FILE"  # noqa: S105 - a variable name
CLIENT_SECRET = "TENANTCTL_APP_CLIENT_SECRET"  # noqa: S105 - a variable name
AZURE_FEDERATED_TOKEN_FILE = "AZURE_FEDERATED_TOKEN_FILE"  # noqa: S105 - a variable name
GITHUB_URL = "ACTIONS_ID_TOKEN_REQUEST_URL"
GITHUB_TOKEN = "ACTIONS_ID_TOKEN_REQUEST_TOKEN"  # noqa: S105 - a variable name
GITHUB_AUDIENCE = "api://AzureADTokenExchange"
CREDENTIAL_VARIABLES: tuple[str, ...] = (
    CERTIFICATE,
    FEDERATED_TOKEN_FILE,
    CLIENT_SECRET,
    AZURE_FEDERATED_TOKEN_FILE,
    f"{GITHUB_URL}+{GITHUB_TOKEN}",
)


class AppCredential:
    """One credential of the provider app, as msal wants it, behind a redacting repr.

    ``kind`` and ``description`` are safe to show (a path, a thumbprint, a variable name); the
    secret material lives only in a closure-free private slot and in what :meth:`msal_credential`
    returns to msal.
    """

    __slots__ = ("__material", "description", "kind")

    def __init__(self, kind: str, description: str, material: str | dict[str, Any]) -> None:
        self.kind = kind
        self.description = description
        self.__material = material

    def msal_credential(self) -> str | dict[str, Any]:
        """The ``client_credential`` argument of ``msal.ConfidentialClientApplication``."""
        return self.__material

    def __repr__(self) -> str:
        return f"AppCredential(kind={self.kind!r}, description={self.description!r}, material=<redacted>)"

    __str__ = __repr__

    def __reduce__(self) -> Any:  # refuse pickling: it would carry the secret out of the process
        raise TypeError("AppCredential cannot be pickled")

    @classmethod
    def from_secret(cls, secret: str, *, source: str = CLIENT_SECRET) -> AppCredential:
        return cls("client-secret", f"client secret from {source}", secret)

    @classmethod
    def from_certificate_file(cls, path: Path, password: str | None = None) -> AppCredential:
        private_pem, cert_pem, thumbprint = _read_certificate(path, password)
        return cls(
            "certificate",
            f"certificate {path} (SHA-256 thumbprint {thumbprint})",
            {"private_key": private_pem, "public_certificate": cert_pem},
        )

    @classmethod
    def from_token_file(cls, path: Path, *, source: str = FEDERATED_TOKEN_FILE) -> AppCredential:
        def assertion() -> str:
            # Read on every call: the platform rotates the file (AKS refreshes it about hourly).
            try:
                return path.read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise UsageError(
                    f"cannot read the federated token file {path} ({source}): {exc.strerror}",
                    code="app-credential",
                ) from None

        return cls(
            "federated-token-file",
            f"federated token file {path} (from {source})",
            {"client_assertion": assertion},
        )

    @classmethod
    def from_github_oidc(cls, request_url: str, request_token: str, *, timeout: float = 10.0) -> AppCredential:
        return cls(
            "github-oidc",
            f"GitHub Actions OIDC ({GITHUB_URL}, audience {GITHUB_AUDIENCE})",
            {"client_assertion": _github_fetcher(request_url, request_token, timeout)},
        )


def _github_fetcher(request_url: str, request_token: str, timeout: float) -> Callable[[], str]:
    """A callable that asks GitHub for a fresh OIDC token each time msal needs an assertion.

    A fresh token per request, rather than one fetched at start, because GitHub's tokens live
    minutes and a long plan across many directories would outlive one (azure-cli#28708).
    """
    parts = urlsplit(request_url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "audience"]
    query.append(("audience", GITHUB_AUDIENCE))
    url = urlunsplit(parts._replace(query=urlencode(query)))

    def fetch() -> str:
        try:
            response = requests.get(url, headers={"Authorization": f"bearer {request_token}"}, timeout=timeout)
        except requests.RequestException as exc:
            raise UsageError(
                f"cannot reach GitHub's OIDC endpoint: {type(exc).__name__}", code="app-credential"
            ) from None
        if response.status_code != 200:
            raise UsageError(
                f"GitHub's OIDC endpoint answered {response.status_code}",
                code="app-credential",
                hint="Give the job `permissions: id-token: write`.",
            )
        try:
            value = response.json()["value"]
        except (ValueError, KeyError, TypeError):
            raise UsageError("GitHub's OIDC endpoint sent no token value", code="app-credential") from None
        return str(value)

    return fetch


def _read_certificate(path: Path, password: str | None) -> tuple[str, str, str]:
    """(unencrypted private key PEM, certificate PEM, SHA-256 thumbprint hex) from a PEM or PFX file."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {CERTIFICATE} file {path}: {exc.strerror}", code="app-credential") from None
    secret = password.encode() if password else None
    key: Any
    cert: x509.Certificate | None
    try:
        if b"-----BEGIN" in data:
            key = serialization.load_pem_private_key(data, password=secret)
            cert = x509.load_pem_x509_certificate(data)
        else:
            key, cert, _ = pkcs12.load_key_and_certificates(data, secret)
    except (ValueError, TypeError) as exc:
        # The library's message names the problem (bad password, no key) without echoing material.
        raise UsageError(
            f"{CERTIFICATE} file {path} is not a usable certificate: {type(exc).__name__}",
            code="app-credential",
            hint=f"Give a PEM holding both the private key and the certificate, or a PFX with {CERTIFICATE_PASSWORD}.",
        ) from None
    if key is None or cert is None:
        raise UsageError(
            f"{CERTIFICATE} file {path} must hold both the private key and the certificate",
            code="app-credential",
        )
    if not isinstance(key, rsa.RSAPrivateKey):
        # Entra signs and checks client assertions with RS256/PS256 only; say so before msal fails obscurely.
        raise UsageError(
            f"{CERTIFICATE} file {path} holds a {type(key).__name__}; Entra needs an RSA key", code="app-credential"
        )
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    cert_pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    return private_pem, cert_pem, cert.fingerprint(hashes.SHA256()).hex().upper()


def load_app_credential(environ: Mapping[str, str] | None = None) -> AppCredential:
    """The provider app's credential by the precedence in the module docstring; UsageError if none."""
    env = os.environ if environ is None else environ

    def get(name: str) -> str:
        return env.get(name, "").strip()

    if get(CERTIFICATE):
        return AppCredential.from_certificate_file(Path(get(CERTIFICATE)), env.get(CERTIFICATE_PASSWORD) or None)
    if get(FEDERATED_TOKEN_FILE):
        return AppCredential.from_token_file(Path(get(FEDERATED_TOKEN_FILE)), source=FEDERATED_TOKEN_FILE)
    if env.get(CLIENT_SECRET):
        return AppCredential.from_secret(env[CLIENT_SECRET], source=CLIENT_SECRET)
    if get(AZURE_FEDERATED_TOKEN_FILE):
        return AppCredential.from_token_file(Path(get(AZURE_FEDERATED_TOKEN_FILE)), source=AZURE_FEDERATED_TOKEN_FILE)
    if get(GITHUB_URL) and get(GITHUB_TOKEN):
        return AppCredential.from_github_oidc(get(GITHUB_URL), env[GITHUB_TOKEN])
    raise UsageError(
        "no credential for the provider's multi-tenant app",
        code="app-credential-missing",
        hint="Set one of: TENANTCTL_APP_CERTIFICATE (PEM with key and certificate, or PFX with "
        "TENANTCTL_APP_CERTIFICATE_PASSWORD); TENANTCTL_APP_FEDERATED_TOKEN_FILE or "
        "AZURE_FEDERATED_TOKEN_FILE; "
        "GitHub Actions OIDC (`permissions: id-token: write`, which sets ACTIONS_ID_TOKEN_REQUEST_URL and "
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN); or, discouraged, TENANTCTL_APP_CLIENT_SECRET. "
        "Credentials are never read from the manifest.",
    )
