"""``report --html`` end to end: the example fleet applied on the emulator, a month... of generated traffic,
the page written by the CLI, its numbers checked against the generator's ground truth, and the page
opened in a real headless Chromium (screenshot taken, no console message, not blank)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import select
import shutil
import struct
import subprocess
import time
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tenantctl.cli.app import app
from tenantctl.emulator import Emulator
from tenantctl.export.diagram import ISOLATION_COLOURS

from .conftest import EXAMPLE

SHARED = ["bluesky", "coho", "contoso-pharma", "fabrikam", "fourth-coffee", "graphic", "school", "wingtip"]
BROWSERS = ("chromium", "chromium-headless-shell", "chrome-headless-shell", "google-chrome")
WINDOW = (1280, 2600)
SCALE = 0.5  # the screenshot is 640 x 1300: flat fills stay exact, and decoding it in Python stays fast


@dataclass(frozen=True)
class Reported:
    directory: Path
    page: Path
    truth: list[dict[str, object]]


@pytest.fixture(scope="module")
def reported(tmp_path_factory: pytest.TempPathFactory) -> Reported:
    directory = tmp_path_factory.mktemp("fleet")
    manifest = directory / "tenants.toml"
    shutil.copy(EXAMPLE, manifest)
    runner = CliRunner()
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(directory)
        mp.setenv("NO_COLOR", "1")
        mp.setenv("TENANTCTL_EMULATOR_LRO_SECONDS", "0.02")
        for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "AZURE_AUTHORITY_HOST", "TENANTCTL_MANIFEST"):
            mp.delenv(name, raising=False)

        def run(*args: str) -> None:
            result = runner.invoke(app, list(args))
            assert result.exit_code == 0, result.output

        run("apply", "--emulator", "--auto-approve", "-f", str(manifest))
        # 2 days of traffic read through a 3-day window: the window holds all of it even if the hour
        # turns between generating and reporting.
        run("emulator", "traffic", "--days", "2", "--seed", "7", *(a for t in SHARED for a in ("--tenant", t)))
        page = directory / "fleet.html"
        run("report", "--html", str(page), "--since", "3d", "--emulator", "-f", str(manifest))
        emulator = Emulator(directory / ".tenantctl" / "emulator")
        try:
            truth = emulator.traffic_truth()
        finally:
            emulator.stop()
    return Reported(directory, page, truth)


class _UsageTable(HTMLParser):
    """tenant id -> [data-sort of each cell] of the usage table."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, list[str]] = {}
        self._inside = False
        self._row: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "table" and a.get("id") == "usage-table":
            self._inside = True
        elif self._inside and tag == "tr":
            self._row = []
        elif self._inside and tag == "td" and self._row is not None:
            self._row.append(a.get("data-sort") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._inside = False
        elif tag == "tr" and self._row:
            self.rows[self._row[0]] = self._row
            self._row = None


def test_page_totals_equal_the_generators_ground_truth(reported: Reported) -> None:
    parser = _UsageTable()
    parser.feed(reported.page.read_text(encoding="utf-8"))
    expected: dict[str, Counter[str]] = defaultdict(Counter)
    for row in reported.truth:
        if row["kind"] == "tenant":
            owner = str(row["tenant"])
        else:
            account = str(row["account_id"]).rsplit("/", 1)[-1]
            deployment = str(row["deployment"])
            if not account.startswith("ctso-"):
                continue  # a tenant-provided account (the emulator has them): not read, "not visible"
            # dedicated: ctso-<tenant> owns all its deployments; on a stamp, <tenant>--<name> only
            owner = deployment.split("--", maxsplit=1)[0] if "--" in deployment else account.removeprefix("ctso-")
            if "--" in account and "--" not in deployment:
                continue  # a stamp's shared deployment: no one tenant's
        for key in ("prompt_tokens", "completion_tokens", "requests", "throttled_requests"):
            expected[owner][key] += int(str(row[key]))
    checked = 0
    for tenant, want in expected.items():
        cells = parser.rows[tenant]
        got = [int(c) for c in cells[2:5]]
        assert got == [want[k] for k in ("prompt_tokens", "completion_tokens", "requests")], tenant
        # the gateway's token metric counts no 429s: shared tenants show none rather than a wrong 0
        assert cells[5] == ("" if tenant in SHARED else str(want["throttled_requests"])), tenant
        checked += 1
    assert checked == 5 + 8 + 8  # dedicated, dedicated-deployment, and the shared tenants behind the gateway
    assert any(int(parser.rows[t][2]) > 0 for t in SHARED)  # the gateway was read (some shapes are idle)
    page = reported.page.read_text(encoding="utf-8")
    assert page.count("not visible: the tenant&#x27;s own account") == 3
    # cost comes from the usage report, priced with the example's [pricing] (USD): whoever used tokens pays
    used = [t for t, want in expected.items() if want["prompt_tokens"] + want["completion_tokens"] > 0]
    assert used
    assert all(float(parser.rows[t][8]) > 0 for t in used), [(t, parser.rows[t][8]) for t in used]
    assert " USD</td>" in page


def _chromium() -> str | None:
    return next((path for name in BROWSERS if (path := shutil.which(name))), None)


def _pixels(png: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and the RGB(A) rows of an 8-bit PNG (what Chromium writes): enough to look at it."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", b""
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind, data = png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = data
        elif kind == b"IDAT":
            idat += data
        pos += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", header[:10])
    assert depth == 8
    assert colour in (2, 6)
    bpp = 3 if colour == 2 else 4
    raw, stride, rows, prev = zlib.decompress(idat), width * bpp, [], bytearray(width * bpp)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        if kind == 2:  # Up, the common case: one pass without the per-byte branches below
            line = bytearray((a + b) & 0xFF for a, b in zip(line, prev, strict=True))
        elif kind:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                up, corner = prev[i], prev[i - bpp] if i >= bpp else 0
                if kind == 1:
                    line[i] = (line[i] + left) & 0xFF
                elif kind == 3:
                    line[i] = (line[i] + (left + up) // 2) & 0xFF
                else:
                    p = left + up - corner
                    pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                    line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
        rows.append(bytes(line if bpp == 3 else b"".join(line[i : i + 3] for i in range(0, stride, 4))))
        prev = line
    return width, height, rows


@pytest.mark.slow
def test_page_renders_in_headless_chromium_without_console_messages(reported: Reported) -> None:
    browser = _chromium()
    if browser is None:
        pytest.skip("no Chromium on this machine (apt-get install chromium-headless-shell, or chromium)")
    shot = reported.directory / "fleet.png"
    done = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",  # root in CI containers; the page is our own file
            "--disable-gpu",
            "--hide-scrollbars",
            "--no-first-run",
            f"--user-data-dir={reported.directory / 'chromium-profile'}",
            "--enable-logging=stderr",
            "--v=0",
            f"--window-size={WINDOW[0]},{WINDOW[1]}",
            f"--force-device-scale-factor={SCALE}",
            f"--screenshot={shot}",
            reported.page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    # Every console message (an uncaught exception, a blocked fetch, a CSP violation) is logged as
    # INFO:CONSOLE; the page writes none of its own, so any is a failure.
    console = [line for line in done.stderr.splitlines() if re.search(r":CONSOLE[:(]", line)]
    assert console == []
    width, height, rows = _pixels(shot.read_bytes())
    assert (width, height) == (WINDOW[0] * SCALE, WINDOW[1] * SCALE)
    colours: Counter[bytes] = Counter()
    for row in rows[::2]:
        colours.update(row[i : i + 3] for i in range(0, len(row), 6))
    white = colours[b"\xff\xff\xff"]
    assert white < 0.9 * sum(colours.values()), "the page is (nearly) blank"
    # the diagram is on screen: each isolation model's fill colour is painted
    for isolation in ("dedicated", "dedicated-deployment", "shared"):
        fill = bytes.fromhex(ISOLATION_COLOURS[isolation][0][1:])
        assert colours[fill] > 20, f"no {isolation} box painted"


class _DevTools:
    """The Chrome DevTools protocol over ``--remote-debugging-pipe`` (fd 3 in, fd 4 out, NUL-framed JSON)."""

    def __init__(self, browser: str, profile: Path) -> None:
        to_chrome_r, to_chrome_w = os.pipe()
        from_chrome_r, from_chrome_w = os.pipe()
        args = ["--headless", "--no-sandbox", "--remote-debugging-pipe", f"--user-data-dir={profile}", "about:blank"]
        # Chromium reads the protocol on fd 3 and writes it on fd 4: bash puts the pipes there.
        self.process = subprocess.Popen(
            ["bash", "-c", f'exec "$0" "$@" 3<&{to_chrome_r} 4>&{from_chrome_w}', browser, *args],
            pass_fds=(to_chrome_r, from_chrome_w),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.out, self.inp = to_chrome_w, from_chrome_r
        self.buffer, self.next_id = b"", 0
        self.events: list[dict[str, Any]] = []
        self.session: str | None = None

    def send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if self.session is not None:
            message["sessionId"] = self.session
        os.write(self.out, json.dumps(message).encode() + b"\0")
        wanted = self.next_id
        reply = self.wait(lambda m: m.get("id") == wanted)
        assert "error" not in reply, reply
        return dict(reply.get("result", {}))

    def wait(self, done: Any, timeout: float = 15.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            while b"\0" in self.buffer:
                raw, self.buffer = self.buffer.split(b"\0", 1)
                message = json.loads(raw)
                self.events.append(message)
                if done(message):
                    return dict(message)
            left = deadline - time.monotonic()
            assert left > 0, "Chromium did not answer in time"
            ready, _, _ = select.select([self.inp], [], [], left)
            if ready:
                chunk = os.read(self.inp, 1 << 16)
                assert chunk, "Chromium closed the DevTools pipe"
                self.buffer += chunk

    def open(self, url: str) -> None:
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.send(f"{domain}.enable")
        self.send("Page.navigate", {"url": url})
        self.wait(lambda m: m.get("method") == "Page.loadEventFired")

    def evaluate(self, expression: str) -> Any:
        return self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})["result"]["value"]

    def problems(self) -> list[dict[str, Any]]:
        """Uncaught exceptions, console.error/warn, and browser log entries (blocked loads, CSP)."""
        out = []
        for e in self.events:
            method, params = e.get("method"), e.get("params", {})
            logged = method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "warning", "assert")
            if logged or method in {"Runtime.exceptionThrown", "Log.entryAdded"}:
                out.append(params)
        return out

    def close(self) -> None:
        self.session = None
        with contextlib.suppress(AssertionError, OSError):
            self.send("Browser.close")
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self.out)
        os.close(self.inp)


_SORT_BY_PROMPT_TOKENS = """(function () {
  var table = document.getElementById("usage-table");
  var button = table.querySelectorAll("th button")[2];
  var firstTenant = function () { return table.tBodies[0].rows[0].cells[0].getAttribute("data-sort"); };
  var prompt = function (row) { return Number(row.cells[2].getAttribute("data-sort")); };
  button.click();
  var prompts = Array.prototype.map.call(table.tBodies[0].rows, prompt);
  var down = [firstTenant(), button.parentNode.getAttribute("aria-sort"), prompts];
  button.click();
  return down.concat([firstTenant(), button.parentNode.getAttribute("aria-sort")]);
})()"""


@pytest.mark.slow
def test_usage_table_sorts_in_the_browser_and_nothing_is_logged(reported: Reported) -> None:
    browser = _chromium()
    if browser is None:
        pytest.skip("no Chromium on this machine (apt-get install chromium-headless-shell, or chromium)")
    tools = _DevTools(browser, reported.directory / "devtools-profile")
    try:
        tools.open(reported.page.as_uri())
        first_down, order_down, prompts, first_up, order_up = tools.evaluate(_SORT_BY_PROMPT_TOKENS)
        problems = tools.problems()
    finally:
        tools.close()
    assert prompts == sorted(prompts, reverse=True)
    assert prompts[0] > 0
    parser = _UsageTable()
    parser.feed(reported.page.read_text(encoding="utf-8"))
    biggest = max(parser.rows, key=lambda t: int(parser.rows[t][2] or 0))
    assert (first_down, order_down, order_up) == (biggest, "descending", "ascending")
    assert int(parser.rows[first_up][2] or 0) == min(prompts)
    assert problems == []
