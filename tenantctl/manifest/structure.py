"""Validate the parsed TOML document section by section and translate pydantic's errors.

Each stamp and tenant is validated on its own so that one broken tenant does not hide the
others: valid parts are kept and semantic checks still run on them.  pydantic's error records
are turned into our diagnostics (stable codes, key paths, did-you-mean); its text is never shown.
"""

from __future__ import annotations

import copy
import datetime as dt
import types
from dataclasses import dataclass, field
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from tenantctl.manifest.locate import Loc
from tenantctl.manifest.model import Defaults, Gateway, Manifest, Pricing, Provider, Stamp, Tenant
from tenantctl.manifest.report import Reporter, did_you_mean

__all__ = ["SECRET_KEYS", "Sections", "validate_sections"]

# Keys that hold credentials. The manifest is committed to git: credentials come from the environment.
SECRET_KEYS = frozenset(
    {"secret", "password", "client_secret", "certificate", "client_certificate", "api_key", "private_key"}
)
_TOP_KEYS: dict[str, type[BaseModel] | None] = {
    "schema": None,
    "provider": Provider,
    "defaults": Defaults,
    "stamps": Stamp,
    "tenants": Tenant,
}
_TOP_KEYS.update({"gateway": Gateway, "pricing": Pricing})  # usage and chargeback (issue 17)
_TYPE_WORDS = {
    "int": "an integer",
    "string": "a string",
    "bool": "true or false",
    "float": "a number",
    "dict": "a table",
    "model": "a table",
    "tuple": "an array",
    "list": "an array",
}


@dataclass
class Sections:
    """The parts of the manifest that validated (broken tenants repaired as far as possible)."""

    provider: Provider | None = None
    defaults: Defaults | None = None
    stamps: dict[str, Stamp] = field(default_factory=dict)
    tenants: dict[str, Tenant] = field(default_factory=dict)
    broken_stamps: set[str] = field(default_factory=set)
    gateway: Gateway | None = None
    pricing: Pricing | None = None

    def manifest(self) -> Manifest | None:
        if self.provider is None or self.defaults is None:
            return None
        return Manifest.model_construct(
            schema_version=1,
            provider=self.provider,
            defaults=self.defaults,
            stamps=self.stamps,
            tenants=self.tenants,
            gateway=self.gateway,
            pricing=self.pricing,
        )


_VALUE_WORDS: tuple[tuple[type | tuple[type, ...], str], ...] = (
    (bool, "a boolean"),  # before int: bool is a subclass of int
    (int, "an integer"),
    (float, "a number"),
    (str, "a string"),
    (dict, "a table"),
    (list, "an array"),
    ((dt.date, dt.time), "a date/time"),
)


def _describe(value: object) -> str:
    for kinds, word in _VALUE_WORDS:
        if isinstance(value, kinds):
            return word
    return type(value).__name__


def _unwrap(tp: Any) -> Any:
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
        elif origin in (Union, types.UnionType):
            tp = next(arg for arg in get_args(tp) if arg is not type(None))
        else:
            return tp


def _model_at(root: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """The model class that sits at ``loc`` below ``root`` (for did-you-mean on unknown keys)."""
    tp: Any = root
    for part in loc:
        tp = _unwrap(tp)
        origin = get_origin(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            fields = {f.alias or name: f for name, f in tp.model_fields.items()}
            if not isinstance(part, str) or part not in fields:
                return None
            tp = fields[part].annotation
        elif origin in (tuple, list):
            tp = get_args(tp)[0]
        elif origin is dict:
            tp = get_args(tp)[1]
        else:
            return None
    tp = _unwrap(tp)
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None


def _keys_of(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


def report_validation_error(error: ValidationError, model: type[BaseModel], prefix: Loc, report: Reporter) -> None:
    """Turn each pydantic error record into one diagnostic."""
    for err in error.errors(include_url=False):
        loc: Loc = prefix + tuple(p for p in err["loc"] if p != "[key]")
        local = tuple(err["loc"])
        kind = err["type"]
        value = err.get("input")
        if kind == "extra_forbidden":
            key = str(local[-1])
            if key.lower() in SECRET_KEYS:
                continue  # reported as secret-in-manifest
            parent = _model_at(model, local[:-1])
            hint = did_you_mean(key, _keys_of(parent)) if parent else ""
            report.error("unknown-key", f"unknown key {key!r}{hint}", loc)
        elif kind == "missing":
            report.error("missing-key", f"missing required key {local[-1]!r}", loc)
        elif kind.endswith("_type") and kind[: -len("_type")] in _TYPE_WORDS:
            expected = _TYPE_WORDS[kind[: -len("_type")]]
            report.error("invalid-type", f"expected {expected}, got {_describe(value)}", loc)
        elif kind in ("literal_error", "enum"):
            expected = str((err.get("ctx") or {}).get("expected", ""))
            words = [w.strip("'") for w in expected.replace(" or ", ", ").split(", ")]
            hint = did_you_mean(str(value), words) if isinstance(value, str) else ""
            report.error("invalid-value", f"{value!r} is not one of {expected}{hint}", loc)
        elif kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
            report.error("invalid-value", f"{value!r} is out of range: {err['msg'].lower()}", loc)
        elif "_" in kind:  # pydantic's own types use underscores, our codes hyphens
            report.error("invalid-value", err["msg"], loc)
        else:  # our own PydanticCustomError types are already diagnostic codes
            report.error(kind, err["msg"], loc)
        report.muted.add(loc)


def _validate(model: type[BaseModel], value: object, prefix: Loc, report: Reporter) -> Any:
    try:
        return model.model_validate(value)
    except ValidationError as error:
        report_validation_error(error, model, prefix, report)
        return _repair(model, value, error)


def _repair(model: type[BaseModel], value: object, error: ValidationError) -> Any:
    """The part with every offending key removed, so semantic checks can still look at the rest.

    Only used to find *more* problems: a manifest with any error is never returned.
    """
    fixed = copy.deepcopy(value)
    for _ in range(3):
        doomed: list[tuple[Any, ...]] = []
        for err in error.errors(include_url=False):
            loc = tuple(err["loc"])
            if loc and loc[-1] == "[key]":
                loc = loc[:-1]
            if err["type"] == "missing" or not loc:
                return None  # a required key is missing: there is nothing sensible left to check
            while loc and isinstance(loc[-1], int):
                loc = loc[:-1]  # drop a whole array, never an element: later paths would shift
            doomed.append(loc)
        for loc in sorted(set(doomed), key=_sort_key, reverse=True):
            _delete(fixed, loc)
        try:
            return model.model_validate(fixed)
        except ValidationError as again:
            error = again
    return None


def _sort_key(loc: tuple[Any, ...]) -> tuple[tuple[int, int, str], ...]:
    return tuple((0, p, "") if isinstance(p, int) else (1, 0, str(p)) for p in loc)


def _delete(value: Any, loc: tuple[Any, ...]) -> None:
    for part in loc[:-1]:
        try:
            value = value[part]
        except (KeyError, IndexError, TypeError):
            return
    if isinstance(value, dict):
        value.pop(loc[-1], None)
    elif isinstance(value, list) and isinstance(loc[-1], int) and loc[-1] < len(value):
        del value[loc[-1]]


def _validate_table_of(
    model: type[BaseModel], value: object, prefix: Loc, report: Reporter
) -> tuple[dict[str, Any], set[str]]:
    if not isinstance(value, dict):
        report.error("invalid-type", f"expected a table, got {_describe(value)}", prefix)
        return {}, set()
    good: dict[str, Any] = {}
    bad: set[str] = set()
    for key, item in value.items():
        parsed = _validate(model, item, (*prefix, key), report)
        if parsed is None:
            bad.add(key)
        else:
            good[key] = parsed
    return good, bad


def _without_secrets(value: Any) -> Any:
    """A copy without credential-named keys (reported on their own as secret-in-manifest)."""
    if isinstance(value, dict):
        return {k: _without_secrets(v) for k, v in value.items() if k.lower() not in SECRET_KEYS}
    if isinstance(value, list):
        return [_without_secrets(v) for v in value]
    return value


def validate_sections(document: dict[str, Any], report: Reporter) -> Sections:
    """Validate every section of a parsed document, reporting each problem once."""
    sections = Sections()
    document = _without_secrets(document)
    for key in document:
        if key not in _TOP_KEYS and key.lower() not in SECRET_KEYS:
            report.error("unknown-key", f"unknown key {key!r}{did_you_mean(key, _TOP_KEYS)}", (key,))
    if "schema" not in document:
        report.error("missing-key", "missing required key 'schema' (add `schema = 1` at the top)", ("schema",))
    elif document["schema"] != 1 or isinstance(document["schema"], bool):
        report.error(
            "invalid-value",
            f"schema {document['schema']!r} is not supported; this tenantctl reads schema 1",
            ("schema",),
        )
    if "provider" not in document:
        report.error("missing-key", "missing required table [provider]", ("provider",))
    else:
        sections.provider = _validate(Provider, document["provider"], ("provider",), report)
    sections.defaults = _validate(Defaults, document.get("defaults", {}), ("defaults",), report)
    sections.stamps, sections.broken_stamps = _validate_table_of(Stamp, document.get("stamps", {}), ("stamps",), report)
    sections.tenants, _ = _validate_table_of(Tenant, document.get("tenants", {}), ("tenants",), report)
    for key, model in (("gateway", Gateway), ("pricing", Pricing)):
        if key in document:
            setattr(sections, key, _validate(model, document[key], (key,), report))
    return sections
