"""Property: ``add``, ``set``, ``--unset`` and ``remove`` keep every byte outside the edit, in every layout.

Manifests are generated as a list of pieces, each owned by a tenant (or a tenant's sub-table) or by
nobody: tenants written as ``[tenants.X]`` tables, with dotted keys or inline under ``[tenants]``;
deployments as one-line arrays, multi-line arrays with comments, or ``[[tenants.X.deployments]]``;
tags inline, as dotted keys, as a sub-table right after the tenant or far below the other tenants;
comments on header lines, on value lines, between keys, glued above headers (naming the tenant, or
a section banner that names nobody), after tables; LF or CRLF.  Markers in the pieces say where the
value a ``set`` changes is, where a new key goes and which characters an ``--unset`` removes, so the
expected text is built independently of the edit code; the edited text must equal it byte for byte
and load with the intended value.

Derandomized in CI (tests/conftest.py); ``TENANTCTL_FUZZ_EXAMPLES`` raises the example count
(``scripts/soak`` runs 10,000 per property).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field, replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tenantctl.manifest.edit import add_tenant, remove_tenant, set_tenant_fields
from tenantctl.manifest.load import parse_manifest
from tenantctl.manifest.model import Manifest

EDIT_PROPS = settings(
    max_examples=int(os.environ.get("TENANTCTL_FUZZ_EXAMPLES", "0")) or 30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Private-use characters mark the spots the expected text is built from; they never occur otherwise.
VALUE, VALUE_END = "\ue000", "\ue001"  # the value `set` replaces
INSERT = "\ue002"  # where `set` adds display_name
UNSET, UNSET_END = "\ue003", "\ue004"  # what `--unset` removes (display_name or tags)
_MARKERS = re.compile("[\ue000-\ue004]")

TENANTS = ("acme", "beta", "gamma", "delta")
DISPLAY_NAMES = ("Alpha Ltd", "Zed & Co", "Ünïcode ☃ GmbH", 'O\'Brien "Quoted"', "back\\slash")
TAG_VALUES = ("blue", "red team", "ü")
INLINE_COMMENTS = ("", "  # c", "   # tuned in May", "  # ☃ unicode", "  #", " # [tenants.fake] = 1")
COMMENT_LINES = ("# note\n", "#\n", "  # indented note\n", "# a = 1\n")
BANNERS = ("# ---- section ----\n", "# ==== customers ====\n# keep sorted\n", "#\n")
TRAILERS = ("# trailing note\n", "# (end of table)\n")

PRELUDE = """\
# tenants.toml — generated for the edit property  # not a key
schema = 1   # the only schema

[provider]   # where dedicated accounts live
subscription_id = "00000000-0000-0000-0000-000000000000"
resource_group = "rg-tenantctl"  # rg
location = "swedencentral"
# between keys
name_prefix = "ctso"

[stamps.eu1]
location = "swedencentral"
deployments = [
  # the shared chat
  { name = "chat", model = "gpt-4o", version = "2024-11-20", sku = "DataZoneStandard", capacity = 300 },  # big
]
"""


@dataclass(frozen=True)
class Piece:
    owner: str  # "" (nobody), "acme", "acme.tags", "acme.deployments"
    table: bool  # part of a table run: removing it also takes a separating blank line
    blank: bool  # a blank line before it
    text: str


@dataclass
class Tenant:
    id: str
    layout: str  # header | dotted | inline
    shared: bool
    number: int  # tpm (shared) or the chat deployment's capacity (dedicated)
    display_name: str | None
    tag: str | None
    tags_style: str  # none | inline | dotted | sub | far
    deployments_style: str  # inline | multiline | aot
    embed: bool
    pieces: list[Piece] = field(default_factory=list)


@dataclass
class Generated:
    pieces: list[Piece]
    tenants: dict[str, Tenant]
    target: str
    key: str  # what the markers mark: tpm | capacity | display_name | tags.team
    crlf: bool

    def text(self, pieces: list[Piece] | None = None) -> str:
        raw = "".join(("\n" if p.blank else "") + p.text for p in (pieces if pieces is not None else self.pieces))
        return raw.replace("\n", "\r\n") if self.crlf else raw


def _clean(text: str) -> str:
    text = re.sub(f"{UNSET}|{UNSET_END}|{INSERT}|{VALUE}|{VALUE_END}", "", text)
    assert not _MARKERS.search(text)
    return text


def _q(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


@st.composite
def _tenant(draw: st.DrawFn, tenant_id: str) -> Tenant:
    layout = draw(st.sampled_from(("header", "header", "dotted", "inline")))
    tags_styles = {
        "header": ("none", "inline", "dotted", "sub", "far"),
        "dotted": ("none", "dotted"),
        "inline": ("none", "inline"),
    }
    shared = draw(st.booleans())
    return Tenant(
        id=tenant_id,
        layout=layout,
        shared=shared,
        number=draw(st.integers(1, 40)) * (1000 if shared else 1),
        display_name=draw(st.none() | st.sampled_from(DISPLAY_NAMES)),
        tag=None,
        tags_style=draw(st.sampled_from(tags_styles[layout])),
        deployments_style=draw(st.sampled_from(("inline", "multiline", "aot") if layout == "header" else ("inline",))),
        embed=draw(st.booleans()),
    )


def _deployment(name: str, capacity: str) -> dict[str, str]:
    if name == "chat":
        return {
            "name": '"chat"',
            "model": '"gpt-4o"',
            "version": '"2024-11-20"',
            "sku": '"GlobalStandard"',
            "capacity": capacity,
        }
    return {
        "name": '"embed"',
        "model": '"text-embedding-3-small"',
        "version": '"1"',
        "sku": '"Standard"',
        "capacity": capacity,
    }


def _inline(fields: dict[str, str]) -> str:
    return "{ " + ", ".join(f"{k} = {v}" for k, v in fields.items()) + " }"


@st.composite
def manifests(draw: st.DrawFn) -> Generated:  # noqa: PLR0912 - one branch per layout choice
    ids = draw(st.lists(st.sampled_from(TENANTS), min_size=1, max_size=4, unique=True))
    tenants = {i: draw(_tenant(i)) for i in ids}
    for t in tenants.values():
        if t.tags_style != "none":
            t.tag = draw(st.sampled_from(TAG_VALUES))
    target = tenants[draw(st.sampled_from(ids))]
    keys = ["tpm" if target.shared else "capacity"]
    keys += ["display_name"] if target.display_name is not None else []
    keys += ["tags.team"] if target.tag is not None else []
    key = draw(st.sampled_from(keys))

    def c() -> str:
        return draw(st.sampled_from(INLINE_COMMENTS))

    def between() -> str:
        return draw(st.sampled_from(("", "", *COMMENT_LINES)))

    def mark(t: Tenant, this_key: str, text: str) -> str:
        return f"{VALUE}{text}{VALUE_END}" if t is target and key == this_key else text

    def unset(t: Tenant, text: str) -> str:
        return f"{UNSET}{text}{UNSET_END}" if t is target else text

    pieces = [Piece("", True, False, PRELUDE)]
    far: list[Piece] = []
    lined = [t for t in tenants.values() if t.layout != "header"]
    if lined:
        pieces.append(Piece("", True, True, f"[tenants]{c()}\n"))
        for t in lined:
            number = mark(t, "tpm" if t.shared else "capacity", str(t.number))
            if t.layout == "dotted":
                lines = [f'{t.id}.isolation = "{"shared" if t.shared else "dedicated"}"{c()}\n']
                if t.shared:
                    lines += [f'{t.id}.stamp = "eu1"{c()}\n', f"{t.id}.tpm = {number}{c()}\n"]
                else:
                    deployments = [_inline(_deployment("chat", number))]
                    deployments += [_inline(_deployment("embed", "5"))] if t.embed else []
                    lines.append(f"{t.id}.deployments = [{', '.join(deployments)}]{c()}\n")
                if t.tag is not None:
                    lines.append(unset(t, f"{t.id}.tags.team = {mark(t, 'tags.team', _q(t.tag))}{c()}\n"))
                if t.display_name is not None:
                    lines.append(
                        unset(t, f"{t.id}.display_name = {mark(t, 'display_name', _q(t.display_name))}{c()}\n")
                    )
                if t is target:
                    lines[-1] += INSERT
                for line in lines:
                    pieces.append(Piece(t.id, False, False, line))
                    extra = between()
                    if extra:
                        pieces.append(Piece("", False, False, extra))
            else:
                fields = {"isolation": f'"{"shared" if t.shared else "dedicated"}"'}
                if t.shared:
                    fields |= {"stamp": '"eu1"', "tpm": number}
                else:
                    deployments = [_inline(_deployment("chat", number))]
                    deployments += [_inline(_deployment("embed", "5"))] if t.embed else []
                    fields["deployments"] = f"[{', '.join(deployments)}]"
                body = ", ".join(f"{k} = {v}" for k, v in fields.items())
                if t.tag is not None:
                    body += unset(t, f", tags = {{ team = {mark(t, 'tags.team', _q(t.tag))} }}")
                if t.display_name is not None:
                    body += unset(t, f", display_name = {mark(t, 'display_name', _q(t.display_name))}")
                pieces.append(Piece(t.id, False, False, f"{t.id} = {{ {body}{INSERT if t is target else ''} }}{c()}\n"))
    for t in (t for t in tenants.values() if t.layout == "header"):
        glued = False
        if draw(st.booleans()):
            pieces.append(Piece("", False, True, draw(st.sampled_from(BANNERS))))
            glued = draw(st.booleans())
        blank = not glued
        if draw(st.booleans()):
            own = f"# {t.id}: {draw(st.sampled_from(('notes', 'since 2024', 'VIP')))}\n" + between()
            pieces.append(Piece(t.id, True, blank, own))
            blank = False
        number = mark(t, "tpm" if t.shared else "capacity", str(t.number))
        body = f'[tenants.{t.id}]{c()}\n{between()}isolation = "{"shared" if t.shared else "dedicated"}"{c()}\n'
        if t.shared:
            body += f'stamp = "eu1"{c()}\n{between()}tpm = {number}{c()}\n'
        elif t.deployments_style != "aot":
            deployments = [_deployment("chat", number)] + ([_deployment("embed", "5")] if t.embed else [])
            if t.deployments_style == "inline":
                body += f"deployments = [{', '.join(_inline(d) for d in deployments)}]{c()}\n"
            else:
                items = "".join(f"  {between()}{_inline(d)},{c()}\n" for d in deployments)
                body += f"deployments = [{c()}\n{items}]{c()}\n"
        if t.tags_style == "inline":
            body += unset(t, f"tags = {{ team = {mark(t, 'tags.team', _q(t.tag or ''))} }}{c()}\n")
        elif t.tags_style == "dotted":
            body += unset(t, f"tags.team = {mark(t, 'tags.team', _q(t.tag or ''))}{c()}\n")
        if t.display_name is not None:
            body += between() + unset(t, f"display_name = {mark(t, 'display_name', _q(t.display_name))}{c()}\n")
        pieces.append(Piece(t.id, True, blank, body + (INSERT if t is target else "")))
        if not t.shared and t.deployments_style == "aot":
            for d in [_deployment("chat", number)] + ([_deployment("embed", "5")] if t.embed else []):
                lines = "".join(f"{between()}{k} = {v}{c()}\n" for k, v in d.items())
                header = f"[[tenants.{t.id}.deployments]]{c()}\n"
                pieces.append(Piece(f"{t.id}.deployments", True, draw(st.booleans()), header + lines))
        if t.tags_style in ("sub", "far"):
            tags = [
                Piece(
                    f"{t.id}.tags",
                    True,
                    True,
                    f"[tenants.{t.id}.tags]{c()}\nteam = {mark(t, 'tags.team', _q(t.tag or ''))}{c()}\n",
                )
            ]
            if draw(st.booleans()):
                tags = [Piece(t.id, True, True, f"# {t.id}'s tags\n"), replace(tags[0], blank=False)]
            (far if t.tags_style == "far" else pieces).extend(tags)
        if draw(st.booleans()):
            pieces.append(Piece("", False, False, draw(st.sampled_from(TRAILERS))))
    pieces += far
    if draw(st.booleans()):
        pieces.append(Piece("", False, True, "# end of file\n"))
    return Generated(pieces, tenants, target.id, key, draw(st.booleans()))


def _loaded(text: str) -> Manifest:
    result = parse_manifest(text)
    assert result.manifest is not None, [(d.code, d.summary) for d in result.diagnostics.errors]
    return result.manifest


def _without(generated: Generated, owned: str) -> str:
    """The text without the pieces ``owned`` (a tenant, or ``acme.tags``) owns, by the separator rule:
    a removed run of tables takes the blank line before it, or, glued to what precedes it, the one after."""
    kept: list[Piece] = []
    pieces = generated.pieces
    drop_blank = False
    n = 0
    while n < len(pieces):
        if pieces[n].owner == owned or pieces[n].owner.startswith(owned + "."):
            run = n
            while n < len(pieces) and (pieces[n].owner == owned or pieces[n].owner.startswith(owned + ".")):
                n += 1
            drop_blank = any(p.table for p in pieces[run:n]) and not pieces[run].blank
            continue
        kept.append(replace(pieces[n], blank=pieces[n].blank and not drop_blank))
        drop_blank = False
        n += 1
    return generated.text(kept)


@EDIT_PROPS
@given(manifests(), st.integers(1, 9))
def test_set_changes_only_the_value(generated: Generated, delta: int) -> None:
    marked = generated.text()
    before = _clean(marked)
    tenant = generated.tenants[generated.target]
    _loaded(before)
    if generated.key == "tpm":
        key, value, rendered = "tpm", tenant.number + delta, str(tenant.number + delta)
    elif generated.key == "capacity":
        key, value, rendered = "deployments.chat.capacity", tenant.number + delta, str(tenant.number + delta)
    else:
        key = generated.key
        value = (
            DISPLAY_NAMES[delta % len(DISPLAY_NAMES)] + "!" if key == "display_name" else TAG_VALUES[delta % 3] + "!"
        )
        rendered = _q(str(value))
    result = set_tenant_fields(before, generated.target, {key: value})
    assert result.text is not None, [(d.code, d.summary) for d in result.diagnostics.errors]
    expected = _clean(re.sub(f"{VALUE}[^{VALUE_END}]*{VALUE_END}", lambda _: rendered, marked))
    assert result.text == expected
    loaded = _loaded(result.text).tenants[generated.target]
    if generated.key == "tpm":
        assert loaded.tpm == value
    elif generated.key == "capacity":
        assert loaded.deployments[0].capacity == value
    elif generated.key == "display_name":
        assert loaded.display_name == value
    else:
        assert loaded.tags == {"team": value}


@EDIT_PROPS
@given(manifests())
def test_set_of_a_new_key_adds_one_line_or_entry_in_the_tenant(generated: Generated) -> None:
    tenant = generated.tenants[generated.target]
    marked = generated.text()
    before = _clean(marked)
    newline = "\r\n" if generated.crlf else "\n"
    entry = {
        "header": f"protected = true{newline}",
        "dotted": f"{tenant.id}.protected = true{newline}",
        "inline": ", protected = true",
    }[tenant.layout]
    result = set_tenant_fields(before, tenant.id, {"protected": True})
    assert result.text is not None, [(d.code, d.summary) for d in result.diagnostics.errors]
    assert result.text == _clean(marked.replace(INSERT, entry))
    assert _loaded(result.text).tenants[tenant.id].protected is True


@EDIT_PROPS
@given(manifests())
def test_unset_removes_only_the_key(generated: Generated) -> None:
    tenant = generated.tenants[generated.target]
    marked = generated.text()
    before = _clean(marked)
    if tenant.display_name is None and tenant.tag is None:
        result = set_tenant_fields(before, tenant.id, {"display_name": None})
        assert result.text is None
        assert [d.code for d in result.diagnostics.errors] == ["unknown-key"]
        return
    key = (
        "tags"
        if tenant.tag is not None and (tenant.display_name is None or generated.key == "tags.team")
        else "display_name"
    )
    result = set_tenant_fields(before, tenant.id, {key: None})
    assert result.text is not None, [(d.code, d.summary) for d in result.diagnostics.errors]
    if key == "tags" and tenant.tags_style in ("sub", "far"):
        expected = _clean(_without(generated, f"{tenant.id}.tags"))
    else:
        word = "tags" if key == "tags" else "display_name"
        expected = _clean(
            re.sub(f"{UNSET}([^{UNSET_END}]*){UNSET_END}", lambda m: "" if word in m[1] else m[1], marked)
        )
    assert result.text == expected
    loaded = _loaded(result.text).tenants[tenant.id]
    assert (loaded.tags == {}) if key == "tags" else (loaded.display_name is None)


@EDIT_PROPS
@given(manifests())
def test_remove_takes_the_tenants_pieces_and_nothing_else(generated: Generated) -> None:
    before = _clean(generated.text())
    result = remove_tenant(before, generated.target)
    assert result.text is not None, [(d.code, d.summary) for d in result.diagnostics.errors]
    assert result.text == _clean(_without(generated, generated.target))
    assert generated.target not in _loaded(result.text).tenants


@EDIT_PROPS
@given(manifests(), st.integers(1, 50))
def test_add_appends_and_a_second_add_or_a_remove_restores(generated: Generated, tpm: int) -> None:
    before = _clean(generated.text())
    newline = "\r\n" if generated.crlf else "\n"
    fields = {"isolation": "shared", "stamp": "eu1", "tpm": tpm, "tags": {"team": "new"}}
    result = add_tenant(before, "newco", fields)
    assert result.text is not None, [(d.code, d.summary) for d in result.diagnostics.errors]
    body = f'[tenants.newco]\nisolation = "shared"\nstamp = "eu1"\ntpm = {tpm}\ntags = {{ team = "new" }}\n'
    assert result.text == before + newline + body.replace("\n", newline)
    assert _loaded(result.text).tenants["newco"].tpm == tpm
    again = add_tenant(result.text, "newco", fields)
    assert (again.text, again.changed) == (result.text, False)
    assert remove_tenant(result.text, "newco").text == before
