"""Entra through msal and azure-identity: secrets, certificates, federated assertions, consent, errors."""

from __future__ import annotations

import time
from typing import Any

import jwt
import msal
import pytest
import requests
import trustme
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import CertificateCredential, ClientAssertionCredential, ClientSecretCredential

from tenantctl.emulator import Emulator

SCOPE = "https://management.azure.com/.default"


def _session(emulator: Emulator) -> requests.Session:
    s = requests.Session()
    s.verify = str(emulator.ca_path)
    s.trust_env = False  # REQUESTS_CA_BUNDLE would override verify (research/identity.md §0)
    return s


def _msal(emulator: Emulator, directory: str, client_id: str, credential: Any) -> msal.ConfidentialClientApplication:
    return msal.ConfidentialClientApplication(
        client_id,
        client_credential=credential,
        authority=f"{emulator.endpoint}/{directory}",
        instance_discovery=False,
        azure_region=False,
        http_client=_session(emulator),
    )


def test_msal_secret_token_claims_verify_against_jwks(emulator: Emulator) -> None:
    sp = emulator.provider
    result = _msal(emulator, sp.directory, sp.client_id, sp.client_secret).acquire_token_for_client([SCOPE])
    assert "access_token" in result, result
    jwks = requests.get(
        f"{emulator.endpoint}/{sp.directory}/discovery/v2.0/keys", verify=str(emulator.ca_path), timeout=5
    ).json()
    key = jwt.PyJWK(jwks["keys"][0])
    claims = jwt.decode(result["access_token"], key, algorithms=["RS256"], audience="https://management.azure.com")
    assert claims["tid"] == sp.directory
    assert claims["oid"] == sp.object_id
    assert claims["appid"] == sp.client_id == claims["azp"]
    assert claims["iss"] == f"{emulator.endpoint}/{sp.directory}/v2.0"
    assert 3500 <= claims["exp"] - time.time() <= 3600
    oidc = requests.get(
        f"{emulator.endpoint}/{sp.directory}/v2.0/.well-known/openid-configuration",
        verify=str(emulator.ca_path),
        timeout=5,
    ).json()
    assert oidc["token_endpoint"] == f"{emulator.endpoint}/{sp.directory}/oauth2/v2.0/token"
    assert {"authorization_endpoint", "jwks_uri", "issuer", "device_authorization_endpoint"} <= set(oidc)


def test_msal_unconsented_app_is_700016_and_bad_secret_7000215(emulator: Emulator) -> None:
    customer = emulator.add_directory()
    sp = emulator.provider
    result = _msal(emulator, customer, sp.client_id, sp.client_secret).acquire_token_for_client([SCOPE])
    assert result["error"] == "unauthorized_client"
    assert result["error_codes"] == [700016]
    assert result["error_description"].startswith("AADSTS700016: ")
    assert {"timestamp", "trace_id", "correlation_id"} <= set(result)
    emulator.grant_consent(sp.client_id, customer)
    assert "access_token" in _msal(emulator, customer, sp.client_id, sp.client_secret).acquire_token_for_client([SCOPE])
    bad = _msal(emulator, sp.directory, sp.client_id, "wrong").acquire_token_for_client([SCOPE])
    assert bad["error"] == "invalid_client"
    assert bad["error_codes"] == [7000215]


def test_unknown_tenant_is_90002(emulator: Emulator) -> None:
    r = requests.post(
        f"{emulator.endpoint}/11111111-2222-3333-4444-555555555555/oauth2/v2.0/token",
        data={"grant_type": "client_credentials", "client_id": "x", "client_secret": "y", "scope": SCOPE},
        verify=str(emulator.ca_path),
        timeout=5,
    )
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_request"
    assert r.json()["error_codes"] == [90002]
    with pytest.raises(ValueError, match="Unable to get authority configuration"):
        _msal(emulator, "11111111-2222-3333-4444-555555555555", "x", "y")


def test_azure_identity_errors_carry_aadsts(emulator: Emulator) -> None:
    customer = emulator.add_directory()
    sp = emulator.provider
    cred = ClientSecretCredential(
        customer,
        sp.client_id,
        sp.client_secret,
        authority=emulator.endpoint,
        disable_instance_discovery=True,
        connection_verify=str(emulator.ca_path),
    )
    with pytest.raises(ClientAuthenticationError, match="AADSTS700016"):
        cred.get_token(SCOPE)
    wrong = ClientSecretCredential(
        sp.directory,
        sp.client_id,
        "nope",
        authority=emulator.endpoint,
        disable_instance_discovery=True,
        connection_verify=str(emulator.ca_path),
    )
    with pytest.raises(ClientAuthenticationError, match="AADSTS7000215"):
        wrong.get_token(SCOPE)


def test_certificate_credentials_msal_and_azure_identity(emulator: Emulator, tmp_path: Any) -> None:
    leaf = trustme.CA().issue_cert("tenantctl-provider", key_type=trustme.KeyType.RSA)
    cert_pem = leaf.cert_chain_pems[0].bytes()
    key_pem = leaf.private_key_pem.bytes()
    sp = emulator.register_app(home_directory=emulator.home_directory, certificate_pem=cert_pem)
    app = _msal(
        emulator, sp.directory, sp.client_id, {"private_key": key_pem.decode(), "public_certificate": cert_pem.decode()}
    )
    result = app.acquire_token_for_client([SCOPE])
    assert "access_token" in result, result
    pem = tmp_path / "cert.pem"
    pem.write_bytes(key_pem + cert_pem)
    cred = CertificateCredential(
        sp.directory,
        sp.client_id,
        str(pem),
        authority=emulator.endpoint,
        disable_instance_discovery=True,
        connection_verify=str(emulator.ca_path),
    )
    assert cred.get_token(SCOPE).token
    other = trustme.CA().issue_cert("impostor", key_type=trustme.KeyType.RSA)
    impostor = _msal(
        emulator,
        sp.directory,
        sp.client_id,
        {"private_key": other.private_key_pem.bytes().decode(), "public_certificate": cert_pem.decode()},
    )
    bad = impostor.acquire_token_for_client([SCOPE])
    assert bad["error_codes"] == [700027]


def test_federated_assertion(emulator: Emulator) -> None:
    issuer, subject = "https://token.actions.githubusercontent.com", "repo:acme/tenants:environment:prod"
    sp = emulator.register_app(home_directory=emulator.home_directory, federated=[(issuer, subject)])
    key = trustme.CA().issue_cert("idp", key_type=trustme.KeyType.RSA).private_key_pem.bytes()

    def assertion(sub: str) -> str:
        now = int(time.time())
        return jwt.encode(
            {"iss": issuer, "sub": sub, "aud": "api://AzureADTokenExchange", "iat": now, "exp": now + 300},
            key,
            algorithm="RS256",
        )

    good = ClientAssertionCredential(
        sp.directory,
        sp.client_id,
        lambda: assertion(subject),
        authority=emulator.endpoint,
        connection_verify=str(emulator.ca_path),
    )
    assert good.get_token(SCOPE).token
    bad = ClientAssertionCredential(
        sp.directory,
        sp.client_id,
        lambda: assertion("repo:evil/x"),
        authority=emulator.endpoint,
        connection_verify=str(emulator.ca_path),
    )
    with pytest.raises(ClientAuthenticationError, match="AADSTS70021"):
        bad.get_token(SCOPE)


def test_admin_consent_redirect_creates_service_principal(emulator: Emulator) -> None:
    customer = emulator.add_directory()
    sp = emulator.provider
    r = requests.get(
        f"{emulator.endpoint}/{customer}/v2.0/adminconsent",
        params={
            "client_id": sp.client_id,
            "redirect_uri": "https://provider.example/consented",
            "state": "n0nce",
            "scope": "https://management.azure.com/.default",
        },
        verify=str(emulator.ca_path),
        allow_redirects=False,
        timeout=5,
    )
    assert r.status_code == 302
    assert r.headers["location"] == (
        f"https://provider.example/consented?admin_consent=True&tenant={customer}&state=n0nce"
    )
    assert "access_token" in _msal(emulator, customer, sp.client_id, sp.client_secret).acquire_token_for_client([SCOPE])
    single = emulator.register_app(home_directory=emulator.home_directory, multi_tenant=False)
    r = requests.get(
        f"{emulator.endpoint}/{customer}/adminconsent",
        params={"client_id": single.client_id},
        verify=str(emulator.ca_path),
        allow_redirects=False,
        timeout=5,
    )
    assert r.status_code == 400
    assert r.json()["error_codes"] == [700016]


def test_instance_discovery_endpoint(emulator: Emulator) -> None:
    sp = emulator.provider
    app = msal.ConfidentialClientApplication(
        sp.client_id,
        client_credential=sp.client_secret,
        authority=f"{emulator.endpoint}/{sp.directory}",
        instance_discovery=f"{emulator.endpoint}/common/discovery/instance",
        azure_region=False,
        http_client=_session(emulator),
    )
    assert "access_token" in app.acquire_token_for_client([SCOPE])
