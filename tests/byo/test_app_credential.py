"""The provider app's credential: precedence, redaction, fresh assertions, clear errors."""

from __future__ import annotations

import json
import pickle
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tenantctl.cloud.app_credential import AppCredential, load_app_credential
from tenantctl.errors import UsageError
from tests.byo.test_verify import _pem, _self_signed


@pytest.fixture
def pem_file(tmp_path: Path) -> Path:
    path = tmp_path / "app.pem"
    path.write_bytes(_pem(*_self_signed()))
    return path


def test_precedence(tmp_path: Path, pem_file: Path) -> None:
    token = tmp_path / "token"
    token.write_text("t")
    everything = {
        "TENANTCTL_APP_CERTIFICATE": str(pem_file),
        "TENANTCTL_APP_FEDERATED_TOKEN_FILE": str(token),
        "TENANTCTL_APP_CLIENT_SECRET": "s",
        "AZURE_FEDERATED_TOKEN_FILE": str(token),
        "ACTIONS_ID_TOKEN_REQUEST_URL": "https://gh.example/token?api-version=2.0",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "gh",
    }
    order = [
        "TENANTCTL_APP_CERTIFICATE",
        "TENANTCTL_APP_FEDERATED_TOKEN_FILE",
        "TENANTCTL_APP_CLIENT_SECRET",
        "AZURE_FEDERATED_TOKEN_FILE",
        "ACTIONS_ID_TOKEN_REQUEST_URL",
    ]
    kinds = ["certificate", "federated-token-file", "client-secret", "federated-token-file", "github-oidc"]
    env = dict(everything)
    for variable, kind in zip(order, kinds, strict=True):
        credential = load_app_credential(env)
        assert credential.kind == kind, variable
        env.pop(variable)
    with pytest.raises(UsageError) as missing:
        load_app_credential({"ACTIONS_ID_TOKEN_REQUEST_URL": "https://x"})  # the token half is missing
    assert missing.value.code == "app-credential-missing"
    assert "TENANTCTL_APP_CLIENT_SECRET" in missing.value.hint
    assert "never read from the manifest" in missing.value.hint


def test_repr_and_str_redact_and_pickling_is_refused() -> None:
    credential = AppCredential.from_secret("hunter2-sentinel")
    for text in (repr(credential), str(credential), f"{credential}", repr([credential]), repr({"c": credential})):
        assert "hunter2-sentinel" not in text
        assert "<redacted>" in text
    with pytest.raises(TypeError):
        pickle.dumps(credential)
    assert not hasattr(credential, "__dict__")  # no vars() dump either


def test_certificate_material_for_msal(pem_file: Path) -> None:
    credential = load_app_credential({"TENANTCTL_APP_CERTIFICATE": str(pem_file)})
    material = credential.msal_credential()
    assert isinstance(material, dict)
    assert set(material) == {"private_key", "public_certificate"}  # msal then uses SHA-256 (x5t#S256)
    assert "PRIVATE KEY" not in repr(credential)
    with pytest.raises(UsageError, match="cannot read"):
        load_app_credential({"TENANTCTL_APP_CERTIFICATE": str(pem_file.parent / "missing.pem")})


class _OidcHandler(BaseHTTPRequestHandler):
    seen: list[dict[str, Any]] = []  # noqa: RUF012 - shared on purpose within one test
    counter = 0

    def do_GET(self) -> None:
        type(self).counter += 1
        type(self).seen.append(
            {"query": parse_qs(urlsplit(self.path).query), "auth": self.headers.get("Authorization")}
        )
        body = json.dumps({"value": f"oidc-token-{type(self).counter}"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def oidc_server() -> Iterator[str]:
    _OidcHandler.seen = []
    _OidcHandler.counter = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), _OidcHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/_apis/token?api-version=2.0&audience=wrong"
    finally:
        server.shutdown()


def test_github_oidc_fetches_a_fresh_token_with_the_exchange_audience(oidc_server: str) -> None:
    credential = load_app_credential(
        {"ACTIONS_ID_TOKEN_REQUEST_URL": oidc_server, "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "request-token"}
    )
    material = credential.msal_credential()
    assert isinstance(material, dict)
    fetch = material["client_assertion"]
    assert (fetch(), fetch()) == ("oidc-token-1", "oidc-token-2")
    assert _OidcHandler.seen[0]["query"]["audience"] == ["api://AzureADTokenExchange"]
    assert _OidcHandler.seen[0]["query"]["api-version"] == ["2.0"]
    assert _OidcHandler.seen[0]["auth"] == "bearer request-token"


def test_github_oidc_refusal_is_a_usage_error() -> None:
    credential = AppCredential.from_github_oidc("http://127.0.0.1:9/none", "t", timeout=0.5)
    material = credential.msal_credential()
    assert isinstance(material, dict)
    with pytest.raises(UsageError, match="cannot reach GitHub"):
        material["client_assertion"]()
