"""``verify_tenant`` end to end against the emulator: real msal and azure-mgmt over HTTPS, every state."""

from __future__ import annotations

import datetime
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from tenantctl.cloud.app_credential import AppCredential
from tenantctl.cloud.byo_probe import ProbeCache
from tenantctl.errors import UsageError
from tenantctl.tenant_provided import CheckName, CheckStatus
from tenantctl.tenant_provided.verification import RoleWait
from tests.byo.conftest import CLIENT_ID, DIRECTORY, HOME, RESOURCE_ID, SUBSCRIPTION, ByoWorld, make_manifest

World = Callable[..., ByoWorld]


def codes(report: object) -> list[tuple[str, str, str]]:
    return [(c.name.value, c.status.value, c.code) for c in report.checks]  # type: ignore[attr-defined]


def test_consented_with_role_passes_every_check(byo_world: World) -> None:
    world = byo_world()
    report = world.verify()
    assert report.ok, report.to_json()
    assert [c.status for c in report.checks] == [CheckStatus.OK] * 4
    assert report.account is not None
    assert report.account.name == "trey-aoai"
    assert ("gpt-4o", "gpt-4o") in report.account.deployments
    assert report.account.disable_local_auth is True


def test_not_consented_says_so_and_gives_the_consent_url(byo_world: World) -> None:
    report = byo_world(consent=False).verify()
    assert codes(report)[0] == ("token", "failed", "not-consented")
    token = report.check(CheckName.TOKEN)
    assert "AADSTS700016" in token.detail
    assert f"{report.onboarding.consent_url}" in token.next_step
    assert token.next_step.count(f"/{DIRECTORY}/v2.0/adminconsent?client_id={CLIENT_ID}") == 1
    assert [c.status for c in report.checks[1:]] == [CheckStatus.SKIPPED] * 3


def test_bad_secret_is_a_provider_side_problem(byo_world: World) -> None:
    world = byo_world()
    report = world.verify(credential=AppCredential.from_secret("not-the-secret"))
    token = report.check(CheckName.TOKEN)
    assert (token.status, token.code) == (CheckStatus.FAILED, "provider-credential")
    assert "AADSTS7000215" in token.detail
    assert "provider side" in token.next_step


def test_unknown_directory_is_90002(byo_world: World) -> None:
    world = byo_world()
    report = world.verify(make_manifest(directory="99999999-9999-9999-9999-999999999999"))
    token = report.check(CheckName.TOKEN)
    assert (token.status, token.code) == (CheckStatus.FAILED, "wrong-directory")
    assert "AADSTS90002" in token.detail


def test_no_role_is_403_after_the_bounded_propagation_retry(byo_world: World) -> None:
    world = byo_world(assign_role=False)
    world.emulator.reset_counts()
    started = time.monotonic()
    report = world.verify(wait=RoleWait(total_seconds=0.15, first_delay=0.05))
    elapsed = time.monotonic() - started
    account = report.check(CheckName.ACCOUNT)
    assert (account.status, account.code) == (CheckStatus.FAILED, "role-missing")
    assert report.attempts["account"] == 3
    assert "after 3 attempts" in account.summary
    assert report.onboarding.role.az_command in account.next_step
    assert "AuthorizationFailed" not in account.summary
    assert "does not have authorization" in account.detail
    assert 0.15 <= elapsed < 3
    assert world.emulator.request_counts().get("accounts.get") == 3


def test_role_that_arrives_during_the_wait_is_found(byo_world: World) -> None:
    import threading

    world = byo_world(assign_role=False)
    object_id = world.emulator.grant_consent(CLIENT_ID, DIRECTORY)
    timer = threading.Timer(0.2, world.emulator.assign_role, (RESOURCE_ID, object_id, "Cognitive Services OpenAI User"))
    timer.start()
    try:
        report = world.verify(wait=RoleWait(total_seconds=3, first_delay=0.1))
    finally:
        timer.join()
    assert report.ok
    assert report.attempts["account"] > 1


def test_wrong_account_name_with_a_group_scoped_role_is_404(byo_world: World) -> None:
    world = byo_world()
    # With the role on the resource group, ARM can say "not found" (on the account scope it says 403).
    object_id = world.emulator.grant_consent(CLIENT_ID, DIRECTORY)
    world.emulator.assign_role(RESOURCE_ID.rsplit("/providers/", 1)[0], object_id, "Cognitive Services OpenAI User")
    report = world.verify(make_manifest(resource_id=RESOURCE_ID.replace("trey-aoai", "trey-typo")))
    account = report.check(CheckName.ACCOUNT)
    assert (account.status, account.code) == (CheckStatus.FAILED, "wrong-resource-id")
    assert report.attempts["account"] == 1  # a 404 is not retried


def test_subscription_in_another_directory_is_401(byo_world: World) -> None:
    world = byo_world()
    other = world.emulator.add_directory("55555555-5555-5555-5555-555555555555")
    world.emulator.grant_consent(CLIENT_ID, other)  # consented there, but the subscription trusts DIRECTORY
    report = world.verify(make_manifest(directory=other))
    assert report.check(CheckName.TOKEN).status is CheckStatus.OK
    account = report.check(CheckName.ACCOUNT)
    assert (account.status, account.code) == (CheckStatus.FAILED, "subscription-in-other-directory")
    assert "InvalidAuthenticationTokenTenant" in account.diagnosis


def test_missing_expected_deployment(byo_world: World) -> None:
    world = byo_world()
    report = world.verify(make_manifest(expect_deployments=["gpt-4o", "o3-mini"]))
    dep = report.check(CheckName.DEPLOYMENTS)
    assert (dep.status, dep.code) == (CheckStatus.FAILED, "deployment-missing")
    assert "o3-mini" in dep.summary
    assert not report.ok


def test_network_restrictions_are_reported(byo_world: World, emulator: object) -> None:
    from azure.identity import ClientSecretCredential
    from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient

    world = byo_world()
    admin = world.emulator.register_app(home_directory=DIRECTORY, multi_tenant=False)
    world.emulator.assign_role(f"/subscriptions/{SUBSCRIPTION}", admin.object_id, "Owner")
    cred = ClientSecretCredential(
        DIRECTORY,
        admin.client_id,
        admin.client_secret,
        authority=world.emulator.endpoint,
        disable_instance_discovery=True,
        connection_verify=str(world.emulator.ca_path),
    )
    cs = CognitiveServicesManagementClient(
        cred,
        SUBSCRIPTION,
        base_url=world.emulator.endpoint,
        credential_scopes=["https://management.azure.com/.default"],
        connection_verify=str(world.emulator.ca_path),
        polling_interval=0.05,
    )
    cs.accounts.begin_update("rg-trey", "trey-aoai", {"properties": {"publicNetworkAccess": "Disabled"}}).result()
    report = world.verify()
    net = report.check(CheckName.NETWORK)
    assert (net.status, net.code) == (CheckStatus.FAILED, "network-private-only")
    assert report.check(CheckName.ACCOUNT).status is CheckStatus.OK  # ARM reads still work


def test_never_writes_to_the_tenant_account(byo_world: World) -> None:
    world = byo_world()
    world.emulator.reset_counts()
    world.verify()
    ops = {op for op in world.emulator.request_counts() if op != "total" and not op.startswith("entra.")}
    assert ops <= {"accounts.get", "deployments.list"}, ops


def test_one_msal_app_per_directory_and_tokens_cached_within_a_run(byo_world: World) -> None:
    world = byo_world()
    cache = ProbeCache()
    world.emulator.reset_counts()
    assert world.verify(cache=cache).ok
    assert world.verify(cache=cache).ok
    assert len(cache._apps) == 1
    counts = world.emulator.request_counts()
    assert (counts.get("entra.discovery"), counts.get("entra.token")) == (1, 1)


def _self_signed(key_type: str = "rsa") -> tuple[Any, Any]:
    """A self-signed certificate, as a provider would upload to its app registration."""
    key: Any = rsa.generate_private_key(65537, 2048) if key_type == "rsa" else ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "tenantctl-provider")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _pem(key: Any, cert: Any) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ) + cert.public_bytes(serialization.Encoding.PEM)


def test_certificate_credential(byo_world: World, tmp_path: Path) -> None:
    world = byo_world()
    key, cert = _self_signed()
    world.emulator.register_app(
        home_directory=HOME, client_id=CLIENT_ID, certificate_pem=cert.public_bytes(serialization.Encoding.PEM)
    )
    path = tmp_path / "app.pem"
    path.write_bytes(_pem(key, cert))
    credential = AppCredential.from_certificate_file(path)
    assert credential.kind == "certificate"
    assert "SHA-256 thumbprint" in credential.description
    assert world.verify(credential=credential).ok


def test_certificate_credential_from_pfx(byo_world: World, tmp_path: Path) -> None:
    world = byo_world()
    key, cert = _self_signed()
    pfx = pkcs12.serialize_key_and_certificates(
        b"app", key, cert, None, serialization.BestAvailableEncryption(b"pfx-pass")
    )
    (tmp_path / "app.pfx").write_bytes(pfx)
    world.emulator.register_app(
        home_directory=HOME, client_id=CLIENT_ID, certificate_pem=cert.public_bytes(serialization.Encoding.PEM)
    )
    assert world.verify(credential=AppCredential.from_certificate_file(tmp_path / "app.pfx", "pfx-pass")).ok
    with pytest.raises(UsageError, match="not a usable certificate"):
        AppCredential.from_certificate_file(tmp_path / "app.pfx", "wrong")


def test_certificate_must_be_rsa_and_complete(tmp_path: Path) -> None:
    key, cert = _self_signed("ec")
    (tmp_path / "ec.pem").write_bytes(_pem(key, cert))
    with pytest.raises(UsageError, match="needs an RSA key"):
        AppCredential.from_certificate_file(tmp_path / "ec.pem")
    (tmp_path / "cert-only.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    with pytest.raises(UsageError, match="not a usable certificate"):
        AppCredential.from_certificate_file(tmp_path / "cert-only.pem")


def _federated_token(issuer: str, subject: str, lifetime: int = 600) -> str:
    now = int(time.time())
    claims = {
        "iss": issuer,
        "sub": subject,
        "aud": "api://AzureADTokenExchange",
        "iat": now,
        "exp": now + lifetime,
        "jti": str(uuid.uuid4()),
    }
    return jwt.encode(claims, uuid.uuid4().hex + uuid.uuid4().hex, algorithm="HS256")


def test_federated_token_file_is_read_fresh_for_each_request(byo_world: World, tmp_path: Path) -> None:
    world = byo_world()
    issuer, subject = "https://token.actions.githubusercontent.com", "repo:contoso/tenants:environment:prod"
    world.emulator.register_app(home_directory=HOME, client_id=CLIENT_ID, federated=[(issuer, subject)])
    token_file = tmp_path / "token"
    token_file.write_text("not-yet-a-token")
    credential = AppCredential.from_token_file(token_file)
    token_file.write_text(_federated_token(issuer, subject))  # rotated after the credential was built
    assert world.verify(credential=credential).ok
    token_file.write_text(_federated_token(issuer, "repo:evil/fork:ref:refs/heads/main"))
    report = world.verify(credential=credential, cache=ProbeCache())
    token = report.check(CheckName.TOKEN)
    assert (token.code, "AADSTS70021" in token.detail) == ("provider-credential", True)


def test_unreadable_token_file_is_a_provider_side_failure(byo_world: World, tmp_path: Path) -> None:
    world = byo_world()
    report = world.verify(credential=AppCredential.from_token_file(tmp_path / "missing"))
    token = report.check(CheckName.TOKEN)
    assert (token.status, token.code) == (CheckStatus.FAILED, "provider-credential")


def test_azure_identity_client_secret_credential_reaches_the_account(byo_world: World) -> None:
    """The same onboarding seen through azure-identity (what a runtime using the SDK would do)."""
    from azure.identity import ClientSecretCredential
    from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient

    world = byo_world()
    secret = "azure-identity-" + uuid.uuid4().hex
    world.emulator.register_app(home_directory=HOME, client_id=CLIENT_ID, secret=secret)
    cred = ClientSecretCredential(
        DIRECTORY,
        CLIENT_ID,
        secret,
        authority=world.emulator.endpoint,
        disable_instance_discovery=True,
        connection_verify=str(world.emulator.ca_path),
    )
    token = cred.get_token("https://management.azure.com/.default")
    assert jwt.decode(token.token, options={"verify_signature": False})["tid"] == DIRECTORY
    cs = CognitiveServicesManagementClient(
        cred,
        SUBSCRIPTION,
        base_url=world.emulator.endpoint,
        credential_scopes=["https://management.azure.com/.default"],
        connection_verify=str(world.emulator.ca_path),
        retry_total=0,
    )
    assert cs.accounts.get("rg-trey", "trey-aoai").name == "trey-aoai"
    assert world.verify(credential=AppCredential.from_secret(secret)).ok


def test_usage_errors_before_any_call(byo_world: World) -> None:
    world = byo_world()
    from tenantctl.cloud.byo_probe import verify_tenant

    with pytest.raises(UsageError, match="not tenant-provided"):
        verify_tenant(world.manifest, "acme", credential_source=world.credential)
    with pytest.raises(UsageError, match="no tenant 'nope'"):
        verify_tenant(world.manifest, "nope", credential_source=world.credential)


def test_verifier_for_plan_and_inspect(emulator: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from tenantctl.cloud.byo_probe import emulator_report_verifier, report_verifier
    from tenantctl.tenant_provided.verification import json_verifier, verify_all
    from tests.byo.conftest import FAST_WAIT, manifest_doc

    doc = manifest_doc()
    doc["tenants"]["lucerne"] = {
        "isolation": "tenant-provided",
        "directory": "55555555-5555-5555-5555-555555555555",
        "resource_id": "/subscriptions/66666666-6666-6666-6666-666666666666/resourceGroups/lucerne-openai/"
        "providers/Microsoft.CognitiveServices/accounts/lucerne-prod",
        "expect_deployments": ["chat", "embeddings"],
    }
    from tenantctl.manifest.model import Manifest

    manifest = Manifest.model_validate(doc)
    results = verify_all(manifest, json_verifier(emulator_report_verifier(emulator, manifest, role_wait=FAST_WAIT)))
    assert sorted(results) == ["lucerne", "trey"]
    assert all(r["available"] and r["ok"] for r in results.values()), results
    assert results["trey"]["account"]["endpoint"] == "https://trey-aoai.openai.azure.com/"
    for name in (
        "TENANTCTL_APP_CERTIFICATE",
        "TENANTCTL_APP_FEDERATED_TOKEN_FILE",
        "TENANTCTL_APP_CLIENT_SECRET",
        "AZURE_FEDERATED_TOKEN_FILE",
        "ACTIONS_ID_TOKEN_REQUEST_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    unavailable = json_verifier(report_verifier())(manifest, "trey")
    assert unavailable["available"] is False
    assert "TENANTCTL_APP_CLIENT_SECRET" in unavailable["hint"]


def test_the_printed_consent_url_is_what_the_admin_opens(byo_world: World) -> None:
    """Not consented → the diagnosis' URL, opened as the admin would (emulated), fixes the token check."""
    import requests

    world = byo_world(consent=False)
    first = world.verify()
    url = first.onboarding.consent_url
    assert url.startswith(f"{world.emulator.endpoint}/{DIRECTORY}/v2.0/adminconsent?")
    answer = requests.get(url, verify=str(world.emulator.ca_path), allow_redirects=False, timeout=10)
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("https://localhost/tenantctl/consent?admin_consent=True")
    assert "state=tenantctl-trey" in answer.headers["Location"]
    second = world.verify(cache=ProbeCache())
    assert second.check(CheckName.TOKEN).status is CheckStatus.OK
    assert second.check(CheckName.ACCOUNT).code == "role-missing"  # consent alone is not enough: the role
