"""The pure half: consent URL (golden), role instructions, the diagnosis table, the report schema."""

from __future__ import annotations

import pytest

from tenantctl.tenant_provided import (
    DIAGNOSES,
    OPENAI_USER_ROLE_ID,
    ByoReport,
    Check,
    CheckName,
    CheckStatus,
    arm_failure,
    consent_url,
    deployments_check,
    network_check,
    onboarding,
    token_failure,
)
from tenantctl.tenant_provided.verification import RoleWait

GUIDE = onboarding(
    tenant="trey",
    directory="33333333-3333-3333-3333-333333333333",
    client_id="11111111-1111-1111-1111-111111111111",
    resource_id="/subscriptions/44444444-4444-4444-4444-444444444444/resourceGroups/rg-trey/providers/"
    "Microsoft.CognitiveServices/accounts/trey-aoai",
    redirect_uri="https://localhost/tenantctl/consent",
)


def test_consent_url_golden() -> None:
    assert GUIDE.consent_url == (
        "https://login.microsoftonline.com/33333333-3333-3333-3333-333333333333/v2.0/adminconsent"
        "?client_id=11111111-1111-1111-1111-111111111111"
        "&scope=https://management.azure.com/.default"
        "&redirect_uri=https://localhost/tenantctl/consent"
        "&state=tenantctl-trey"
    )


def test_consent_url_custom_authority_and_escaping() -> None:
    url = consent_url(
        authority_host="https://127.0.0.1:8443/",
        directory="d",
        client_id="c",
        redirect_uri="https://app.example/cb?x=1&y=2",
        state="a b",
    )
    assert url == (
        "https://127.0.0.1:8443/d/v2.0/adminconsent?client_id=c&scope=https://management.azure.com/"
        ".default&redirect_uri=https://app.example/cb%3Fx%3D1%26y%3D2&state=a+b"
    )
    assert "common" not in GUIDE.consent_url


def test_role_assignment_is_least_privilege_at_account_scope() -> None:
    role = GUIDE.role
    assert role.role_id == OPENAI_USER_ROLE_ID == "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd"
    assert role.az_command == (
        "az role assignment create --assignee 11111111-1111-1111-1111-111111111111 --role "
        '"Cognitive Services OpenAI User" --scope /subscriptions/44444444-4444-4444-4444-444444444444/'
        "resourceGroups/rg-trey/providers/Microsoft.CognitiveServices/accounts/trey-aoai"
    )
    assert "Access control (IAM)" in role.portal_path
    assert role.assignee in role.portal_path
    assert set(GUIDE.to_json()) == {
        "tenant",
        "directory",
        "client_id",
        "resource_id",
        "consent_url",
        "role_assignment",
        "verify_command",
    }


@pytest.mark.parametrize(
    ("error", "codes", "expected"),
    [
        ("unauthorized_client", [700016], "not-consented"),
        ("invalid_request", [90002], "wrong-directory"),
        ("invalid_client", [7000215], "provider-credential"),
        ("invalid_client", [7000222], "provider-credential"),
        ("invalid_client", [700027], "provider-credential"),
        ("invalid_client", [70021], "provider-credential"),
        ("invalid_client", [], "provider-credential"),
        ("access_denied", [53003], "conditional-access"),
        ("temporarily_unavailable", [], "token-failed"),
    ],
)
def test_token_failures(error: str, codes: list[int], expected: str) -> None:
    check = token_failure(error=error, codes=codes, description="AADSTS… raw", onboarding=GUIDE)
    assert (check.name, check.status, check.code) == (CheckName.TOKEN, CheckStatus.FAILED, expected)
    assert check.diagnosis
    assert check.next_step
    assert check.detail == "AADSTS… raw"


def test_not_consented_points_at_the_consent_url() -> None:
    check = token_failure(error="unauthorized_client", codes=[700016], description="", onboarding=GUIDE)
    assert GUIDE.consent_url in check.next_step


def test_provider_side_is_said_to_be_provider_side() -> None:
    check = token_failure(error="invalid_client", codes=[7000215], description="", onboarding=GUIDE)
    assert "provider side" in check.next_step
    assert "client secret is wrong" in check.diagnosis


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (403, "AuthorizationFailed", "role-missing"),
        (401, "InvalidAuthenticationTokenTenant", "subscription-in-other-directory"),
        (404, "ResourceNotFound", "wrong-resource-id"),
        (404, "ResourceGroupNotFound", "wrong-resource-id"),
        (500, "InternalServerError", "arm-error"),
    ],
)
def test_arm_failures(status: int, code: str, expected: str) -> None:
    check = arm_failure(status=status, code=code, message="raw", onboarding=GUIDE, attempts=3)
    assert (check.name, check.code) == (CheckName.ACCOUNT, expected)


def test_role_missing_gives_the_az_line_and_the_attempts() -> None:
    check = arm_failure(status=403, code="AuthorizationFailed", message="", onboarding=GUIDE, attempts=3)
    assert GUIDE.role.az_command in check.next_step
    assert "after 3 attempts" in check.summary


def test_every_diagnosis_renders() -> None:
    fields = {
        k: "x"
        for k in (
            "directory",
            "consent_url",
            "reason",
            "error",
            "waited",
            "resource_id",
            "az",
            "portal",
            "verify",
            "arm_code",
            "status",
            "missing",
            "count",
            "found",
            "allowed",
        )
    }
    for code, row in DIAGNOSES.items():
        assert all(text.format(**fields) for text in row), code


def test_deployments_match_by_name_or_model() -> None:
    found = [("chat", "gpt-4o"), ("emb", "text-embedding-3-large")]
    assert deployments_check(["gpt-4o", "emb", "CHAT"], found).status is CheckStatus.OK
    missing = deployments_check(["gpt-4o", "o3-mini"], found)
    assert (missing.status, missing.code) == (CheckStatus.FAILED, "deployment-missing")
    assert "o3-mini" in missing.summary
    assert "gpt-4o" not in missing.summary
    assert deployments_check([], []).status is CheckStatus.OK


def test_network_restrictions_said_as_such() -> None:
    assert network_check("Enabled", None).status is CheckStatus.OK
    private = network_check("Disabled", "Deny")
    assert (private.status, private.code) == (CheckStatus.FAILED, "network-private-only")
    firewall = network_check("Enabled", "Deny", ["203.0.113.0/24"])
    assert (firewall.status, firewall.code) == (CheckStatus.WARNING, "network-firewall")
    assert "203.0.113.0/24" in firewall.summary
    assert firewall.passed


def test_report_schema_and_ok() -> None:
    ok = Check(CheckName.TOKEN, CheckStatus.OK, "fine")
    bad = Check(CheckName.ACCOUNT, CheckStatus.FAILED, "bad", code="role-missing")
    report = ByoReport("trey", "d", "r", "c", (ok, bad), GUIDE)
    doc = report.to_json()
    assert not report.ok
    assert doc["ok"] is False
    assert set(doc) == {
        "tenant",
        "directory",
        "resource_id",
        "client_id",
        "ok",
        "expect_deployments",
        "checks",
        "account",
        "onboarding",
    }
    assert doc["checks"][0] == {
        "name": "token",
        "status": "ok",
        "summary": "fine",
        "code": None,
        "diagnosis": None,
        "next_step": None,
        "detail": None,
    }
    assert doc["checks"][1]["code"] == "role-missing"


def test_role_wait_is_bounded() -> None:
    assert RoleWait(total_seconds=8, first_delay=1).delays() == [1, 2, 4]
    assert RoleWait(total_seconds=0, first_delay=1).delays() == []
    assert RoleWait(total_seconds=0.15, first_delay=0.05).delays() == pytest.approx([0.05, 0.1])
