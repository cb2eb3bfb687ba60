"""Replay real ARM traffic against the emulator with a client tenantctl does not use for its work: raw HTTP.

``recorded-arm-traffic-cognitiveservices.json`` (beside this file) holds trimmed azure-cli recordings of
Microsoft.CognitiveServices. Each step is sent as recorded (method, path, body; only the subscription is the
emulator's) with ``requests`` and the emulator's CA; the answer must match the recording in status code, the
headers a client acts on (Azure-AsyncOperation / Location / Retry-After, Content-Type, ETag) and the shape of
the body (keys, not values). Where the emulator answers differently on purpose, ``DEVIATIONS`` says why; a
deviation that disappears fails too, so the list stays true.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import requests

from tenantctl.emulator import Emulator
from tests.emulator.helpers import raw_token

# A verbatim copy of /work/shared/specs/recorded-arm-traffic-cognitiveservices.json (its ``_about`` names the
# azure-cli recordings and commits it was trimmed from), kept here so CI replays it too.
RECORDING = Path(__file__).parent / "recorded-arm-traffic-cognitiveservices.json"
SPEC_EXAMPLES = Path(__file__).parents[1] / "spec_examples"
RECORDED_SUB = "00000000-0000-0000-0000-000000000000"

# step -> (recorded status, emulator status, why)
DEVIATIONS: dict[str, tuple[int, int, str]] = {
    "deployment delete": (
        200,
        202,
        "the spec allows 200/202/204 (DeleteDeployment.json); the emulator always takes the LRO path "
        "(202 + Location) so pollers are exercised",
    ),
    "account delete": (
        200,
        202,
        "the spec allows 200/202/204 (DeleteAccount.json); the emulator always takes the LRO path",
    ),
}
# Recorded body keys the emulator does not produce, with the reason.
MISSING_KEYS: dict[str, str] = {
    "properties.callRateLimit": "trimmed in the recording; rate limits are on deployments",
    "properties.capabilities": "trimmed in the recording",
    "properties.endpoints": "trimmed in the recording (map of API name -> URL)",
    "properties.allowProjectManagement": "Foundry projects are not emulated",
}
_ASYNC_OP = re.compile(
    r"^https://[^/]+/subscriptions/[^/]+/providers/Microsoft\.CognitiveServices/locations/[^/]+/"
    r"operationResults/[^/?]+\?api-version=[^&]+",
    re.IGNORECASE,
)
_OP_ID = re.compile(r"^/subscriptions/[^/]+/providers/Microsoft\.CognitiveServices/locations/[^/]+/operationResults/")


def _interactions() -> dict[str, dict[str, Any]]:
    doc = json.loads(RECORDING.read_text())
    return {str(i["step"]).split(" (")[0]: i for i in doc["interactions"]}


def _keys(doc: Any, prefix: str = "") -> set[str]:
    """Top-level keys plus ``properties.<key>`` (values differ; the shape must not)."""
    if not isinstance(doc, dict):
        return set()
    out = {prefix + k for k in doc}
    if isinstance(doc.get("properties"), dict) and not prefix:
        out |= {f"properties.{k}" for k in doc["properties"]}
    return out


class Replayer:
    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.session = requests.Session()
        self.session.trust_env = False  # REQUESTS_CA_BUNDLE must not decide which CA is trusted
        self.session.verify = str(emulator.ca_path)
        self.session.headers["Authorization"] = f"Bearer {raw_token(emulator)}"

    def url(self, uri: str) -> str:
        return self.emulator.endpoint + uri.replace(RECORDED_SUB, self.emulator.subscription_id)

    def send(self, step: dict[str, Any]) -> requests.Response:
        request = step["request"]
        return self.session.request(request["method"], self.url(request["uri"]), json=request.get("body"), timeout=10)

    def poll(self, url: str) -> requests.Response:
        for _ in range(200):
            resp = self.session.get(url, timeout=10)
            if resp.status_code != 202 and resp.json().get("status") not in ("Creating", "InProgress", "Accepted"):
                return resp
        raise AssertionError(f"{url} never finished")


def _check_status(name: str, recorded: int, resp: requests.Response) -> None:
    expected = DEVIATIONS.get(name, (recorded, recorded, ""))[1]
    assert DEVIATIONS.get(name, (recorded,))[0] == recorded, f"{name}: the recording changed"
    assert resp.status_code == expected, f"{name}: {resp.status_code} {resp.text[:300]}"


def _check_shape(name: str, recorded_body: Any, ours: Any) -> None:
    missing = _keys(recorded_body) - _keys(ours) - MISSING_KEYS.keys()
    assert not missing, f"{name}: keys in Azure's answer the emulator lacks: {sorted(missing)}"


def test_account_and_deployment_lifecycle_replays_like_the_recording(emulator: Emulator) -> None:
    emulator.settings.retry_after = 1
    steps = _interactions()
    replay = Replayer(emulator)
    rg_uri = f"/subscriptions/{RECORDED_SUB}/resourcegroups/clitest.rg000001?api-version=2022-09-01"
    assert replay.session.put(replay.url(rg_uri), json={"location": "japaneast"}, timeout=10).status_code in (200, 201)

    create = steps["account create"]
    resp = replay.send(create)
    _check_status("account create", create["response"]["status"], resp)
    assert resp.headers["content-type"] == create["response"]["headers"]["content-type"]
    assert resp.headers.get("etag")
    assert _ASYNC_OP.match(resp.headers["azure-asyncoperation"]), resp.headers["azure-asyncoperation"]
    assert resp.headers.get("retry-after") == "1"
    assert resp.json()["properties"]["provisioningState"] == "Creating"
    _check_shape("account create", create["response"]["body_trimmed"], resp.json())

    poll = steps["poll azure-asyncoperation URL"]
    status = replay.poll(resp.headers["azure-asyncoperation"])
    _check_status("poll", poll["response"]["status"], status)
    assert set(status.json()) == set(poll["response"]["body"])
    assert status.json()["status"] == "Succeeded"
    assert _OP_ID.match(status.json()["id"])
    assert status.json()["id"].endswith("/" + status.json()["name"])

    final = replay.send(steps["final GET of the account"])
    _check_status("final GET", 200, final)
    assert final.json()["properties"]["provisioningState"] == "Succeeded"
    assert final.headers.get("etag") or final.json().get("etag")

    listing = steps["deployment list"]
    resp = replay.send(listing)
    _check_status("deployment list", listing["response"]["status"], resp)
    assert resp.json() == listing["response"]["body"]

    put = steps["deployment create"]
    resp = replay.send(put)
    _check_status("deployment create", put["response"]["status"], resp)
    assert resp.headers.get("etag")
    # The recording (hand-edited, see its note) shows no Azure-AsyncOperation; real deployment writes are
    # LROs (research/arm-api.md §2.1), so the emulator's header must at least be a valid poll URL.
    assert _ASYNC_OP.match(resp.headers["azure-asyncoperation"])
    _check_shape("deployment create", put["response"]["body"], resp.json())
    assert replay.poll(resp.headers["azure-asyncoperation"]).json()["status"] == "Succeeded"

    for name in ("deployment delete", "account delete"):
        step = steps[name]
        resp = replay.send(step)
        _check_status(name, step["response"]["status"], resp)
        assert resp.content == b""
        location = resp.headers["location"]
        assert location.startswith(emulator.endpoint)
        assert resp.headers.get("retry-after") == "1"
        assert "azure-asyncoperation" not in {k.lower() for k in resp.headers}
        for _ in range(200):
            done = replay.session.get(location, timeout=10)
            if done.status_code != 202:
                break
        assert done.status_code in (200, 204)
        spec = "DeleteDeployment" if name.startswith("deployment") else "DeleteAccount"
        responses = json.loads((SPEC_EXAMPLES / f"{spec}.json").read_text())["responses"]
        assert {str(step["response"]["status"]), str(DEVIATIONS[name][1])} <= responses.keys()

    deleted = steps["deleted accounts list item"]
    resp = replay.send(deleted)
    _check_status("deleted list", deleted["response"]["status"], resp)
    ours = next(d for d in resp.json()["value"] if d["name"] == "cs_cli_test_000002")
    assert ours["type"] == deleted["response"]["item_trimmed"]["type"]
    assert re.match(
        r"^/subscriptions/[^/]+/providers/Microsoft\.CognitiveServices/locations/[^/]+/resourceGroups/[^/]+/"
        r"deletedAccounts/[^/]+$",
        ours["id"],
    )
    # That recorded deleted account (another recording) was created with a subdomain, network rules, tags and
    # an identity; the replayed one was not, so those input-dependent keys are left out of the comparison.
    item = {k: v for k, v in deleted["response"]["item_trimmed"].items() if k not in ("identity", "tags")}
    item["properties"] = {
        k: v for k, v in item["properties"].items() if k not in ("customSubDomainName", "networkAcls")
    }
    _check_shape("deleted list", item, ours)


def test_usages_replay_like_the_recording(emulator: Emulator) -> None:
    step = _interactions()["usages"]
    resp = Replayer(emulator).send(step)
    _check_status("usages", step["response"]["status"], resp)
    recorded = step["response"]["body_trimmed"]["value"]
    ours = resp.json()["value"]
    assert {k for u in recorded for k in u} <= {k for u in ours for k in u}
    assert all(set(u["name"]) == {"value", "localizedValue"} for u in ours)
    # Usage names follow the recorded '<format>.<sku>.<model>' convention; provisioned (PTU) quota is
    # model-independent, one '<format>.<sku>' line per deployment type (emulator README).
    assert {"OpenAI.S0.AccountCount"} <= {u["name"]["value"] for u in ours}
    assert all(
        re.fullmatch(r"OpenAI\.[A-Za-z0-9]+\.[a-z0-9.\-]+|OpenAI\.[A-Za-z]*ProvisionedManaged", u["name"]["value"])
        for u in ours[2:]
    )


def test_error_answers_have_arms_envelope_and_no_retry_after_on_conflict(emulator: Emulator) -> None:
    replay = Replayer(emulator)
    base = f"/subscriptions/{RECORDED_SUB}/resourceGroups/rg1/providers/Microsoft.CognitiveServices/accounts/a1"
    replay.session.put(
        replay.url(f"/subscriptions/{RECORDED_SUB}/resourcegroups/rg1?api-version=2022-09-01"),
        json={"location": "swedencentral"},
        timeout=10,
    ).raise_for_status()
    emulator.settings.lro_seconds = 30.0  # keep the account busy
    body = {"kind": "OpenAI", "sku": {"name": "S0"}, "location": "swedencentral", "properties": {}}
    assert replay.session.put(replay.url(base + "?api-version=2025-09-01"), json=body, timeout=10).status_code == 201
    conflict = replay.session.put(replay.url(base + "?api-version=2025-09-01"), json=body, timeout=10)
    missing = replay.session.get(replay.url(base + "x?api-version=2025-09-01"), timeout=10)
    for resp, status, code in ((conflict, 409, "RequestConflict"), (missing, 404, "ResourceNotFound")):
        assert resp.status_code == status
        assert resp.headers["content-type"].startswith("application/json")
        assert resp.json().keys() == {"error"}
        assert {"code", "message"} <= resp.json()["error"].keys()
        assert resp.json()["error"]["code"] == code
        assert "retry-after" not in {k.lower() for k in resp.headers}
        assert resp.headers.get("x-ms-request-id")
