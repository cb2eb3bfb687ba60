"""The two verbs as the CLI runs them: make a plan against a cloud, and apply one under the lock.

Each function here is a straight line through the pipeline (manifest → observed → plan → apply) with
no rendering and no prompting: the CLI passes in how to open the cloud, how to ask for confirmation
and how to show progress (:func:`apply_run`), and decides what to show.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tenantctl.diagnostics import Diagnostics
from tenantctl.errors import InvalidManifestError, StalePlanError, TenantctlError, UsageError
from tenantctl.manifest.model import Manifest
from tenantctl.manifest.pool import stamp_groups
from tenantctl.observation import ObservedState, Observer
from tenantctl.planning.model import Plan
from tenantctl.planning.planner import draft_plan, finish_plan

if TYPE_CHECKING:
    from tenantctl.cloud.port import CloudPort
    from tenantctl.cloud.session import CloudSession
    from tenantctl.execution.hooks import ApplyHooks
    from tenantctl.execution.lock import LockSettings, LockWait
    from tenantctl.execution.result import ApplyResult

__all__ = [
    "ApplyOptions",
    "ApplyRun",
    "PlanOptions",
    "PlanRun",
    "apply_run",
    "check_not_stale",
    "check_same_options",
    "load_valid_manifest",
    "lock_settings",
    "make_plan_run",
    "manifest_subscriptions",
    "plan_against",
    "read_saved_plan",
    "remember_pool",
    "write_saved_plan",
]

SAVED_PLAN_VERSION = 1


@dataclass(frozen=True)
class PlanOptions:
    prune: bool = False
    purge_deleted: bool = False
    tenants: tuple[str, ...] = ()
    retire: bool = False  # phase 3 of a migration: delete old generations whose replacement is live
    reverify: bool = False  # verify tenant-provided accounts afresh, ignoring recently passed checks
    # The day retirement warnings count from (the CLI passes the clock's); None: no such warnings.
    # Not saved with a plan: it changes warnings, never changes.
    today: date | None = None


@dataclass(frozen=True)
class PlanRun:
    manifest: Manifest
    observed: ObservedState
    plan: Plan
    options: PlanOptions
    warnings: Diagnostics


def load_valid_manifest(path: Path) -> tuple[Manifest, Diagnostics]:
    """The manifest and its warnings; every error at once as :class:`InvalidManifestError`."""
    from tenantctl.manifest.load import load_manifest

    result = load_manifest(path)
    if result.manifest is None or result.diagnostics.has_errors:
        raise InvalidManifestError(f"{path} is not valid", result.diagnostics)
    return result.manifest, result.diagnostics


def manifest_subscriptions(manifest: Manifest) -> set[str]:
    """Every provider-side subscription the manifest places resources in."""
    subs = {manifest.provider.subscription_id}
    subs.update(m.subscription_id for m in manifest.provider.pool)
    subs.update(sub for s in manifest.stamps for sub, _ in stamp_groups(manifest, s))
    return subs


def _check_tenants(manifest: Manifest, tenants: Iterable[str]) -> None:
    import difflib

    for tenant in tenants:
        if tenant not in manifest.tenants:
            close = difflib.get_close_matches(tenant, list(manifest.tenants), n=3)
            hint = f"Did you mean {', '.join(close)}?" if close else "See `tenantctl status` for the tenants."
            raise UsageError(f"unknown tenant '{tenant}'", code="unknown-tenant", hint=hint)


def plan_against(
    manifest: Manifest,
    cloud: CloudPort,
    options: PlanOptions = PlanOptions(),
    *,
    verify: Callable[[], Mapping[str, Any]] | None = None,
) -> tuple[ObservedState, Plan]:
    """Observe what the plan needs and plan, diffing once: O(accounts + regions) reads.

    Observe accounts, deployments and filters -> draft the plan (placement, desired state, diff) ->
    read only the lazy details the draft needs -> finish the plan.  ``verify`` (the tenant-provided
    checks) reads other clouds, so it runs beside the observation; its verdicts finish the plan too.
    """
    tenants = options.tenants or None
    purge = options.purge_deleted or manifest.provider.purge_deleted
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="byo") as pool:
        checks = pool.submit(verify) if verify is not None else None
        with Observer(cloud) as observer:
            base = observer.accounts(manifest)
            draft = draft_plan(
                manifest, base, prune=options.prune, purge_deleted=purge, tenants=tenants, retire=options.retire
            )
            observed = observer.details(base, draft.details_needed())
        byo = checks.result() if checks is not None else {}
    if byo:
        observed = dataclasses.replace(observed, byo=byo)
    return observed, finish_plan(draft, observed, today=options.today)


def make_plan_run(manifest: Manifest, session: CloudSession, options: PlanOptions, warnings: Diagnostics) -> PlanRun:
    """Observe what the manifest needs (O(accounts + regions) reads, 2 per tenant-provided tenant) and plan."""
    _check_tenants(manifest, options.tenants)
    verify = functools.partial(
        session.verify_tenant_provided, manifest, tenants=options.tenants or None, reverify=options.reverify
    )
    observed, plan = plan_against(manifest, session.cloud, options, verify=verify)
    return PlanRun(manifest, observed, plan, options, warnings)


def write_saved_plan(path: Path, run: PlanRun, manifest_path: Path) -> None:
    """``plan --out``: the plan plus what is needed to re-observe and detect staleness."""
    from tenantctl.manifest.edit import write_atomically
    from tenantctl.planning import plan_to_json

    document = {
        "tenantctl_saved_plan": SAVED_PLAN_VERSION,
        "manifest": str(manifest_path),
        "options": {
            "prune": run.options.prune,
            "purge_deleted": run.options.purge_deleted,
            "tenants": list(run.options.tenants),
            "retire": run.options.retire,
        },
        "plan": plan_to_json(run.plan),
    }
    write_atomically(path, json.dumps(document, indent=2, default=str) + "\n")


SAVED_PLAN_MAX_BYTES = 512 * 1024 * 1024  # a plan of 10,000 tenants is far smaller


def read_saved_plan(path: Path) -> tuple[Plan, PlanOptions]:
    """Read ``apply --plan``; a clear UsageError for anything that is not a saved plan."""
    from tenantctl.manifest.load import read_manifest_bytes
    from tenantctl.planning import plan_from_json

    try:
        document = json.loads(read_manifest_bytes(path, limit=SAVED_PLAN_MAX_BYTES).decode("utf-8"))
    except FileNotFoundError:
        raise UsageError(f"saved plan {path} does not exist", code="no-such-plan") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path} is not a saved plan: it is not UTF-8 JSON text", code="bad-plan") from None
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"{path} is not a saved plan: not JSON ({exc.msg} at line {exc.lineno})",
            code="bad-plan",
            hint="Create one with `tenantctl plan --out plan.json`.",
        ) from None
    except OSError as exc:
        raise UsageError(f"cannot read saved plan {path}: {exc.strerror or exc}", code="bad-plan") from None
    except ValueError as exc:  # a directory, or endless (/dev/zero)
        raise UsageError(f"cannot read saved plan {path}: {exc}", code="bad-plan") from None
    version = document.get("tenantctl_saved_plan") if isinstance(document, dict) else None
    if not isinstance(document, dict) or version is None:
        raise UsageError(
            f"{path} is not a tenantctl saved plan",
            code="bad-plan",
            hint="Create one with `tenantctl plan --out plan.json`.",
        )
    if version != SAVED_PLAN_VERSION:
        raise UsageError(
            f"{path} is a saved plan of version {version!r}; this tenantctl applies version {SAVED_PLAN_VERSION}",
            code="bad-plan",
            hint="Make the plan again with this tenantctl: `tenantctl plan --out plan.json`.",
        )
    try:
        raw_options = document.get("options") or {}
        tenants = raw_options.get("tenants") or ()
        if isinstance(tenants, str) or not all(isinstance(t, str) for t in tenants):
            raise TypeError("options.tenants is not a list of tenant ids")
        options = PlanOptions(
            prune=bool(raw_options.get("prune", False)),
            purge_deleted=bool(raw_options.get("purge_deleted", False)),
            tenants=tuple(tenants),
            retire=bool(raw_options.get("retire", False)),
        )
        plan = plan_from_json(document["plan"])
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise UsageError(
            f"{path} holds a damaged plan: {type(exc).__name__}: {exc}",
            code="bad-plan",
            hint="Make the plan again: `tenantctl plan --out plan.json`.",
        ) from None
    return plan, options


def check_not_stale(saved: Plan, fresh: Plan) -> None:
    """Refuse a saved plan made against a cloud that has changed since (Terraform's rule)."""
    from tenantctl.planning.staleness import plan_differences

    if saved.fingerprint != fresh.fingerprint:
        differences = plan_differences(saved, fresh)
        what = (
            differences.describe()
            if differences
            else "the changes it lists are still the same, but resources it read are not"
        )
        raise StalePlanError(
            f"the saved plan is stale: Azure changed since it was made; {what}",
            hint="Run `tenantctl plan --out plan.json` again and review the new plan.",
        )
    if saved.manifest_name != fresh.manifest_name:
        raise StalePlanError("the saved plan was made for another manifest")


def lock_settings(manifest: Manifest, manifest_path: Path) -> LockSettings:
    """The apply lock the manifest configures: an Azure Blob lease, or a file lock beside it."""
    from tenantctl.execution.lock import BlobLockSettings, FileLockSettings, file_lock_for_manifest

    configured = manifest.provider.lock
    if configured is None or configured.backend == "file":
        if configured is not None and configured.path:
            # Relative to the manifest, like every other path it names: not to wherever apply runs.
            return FileLockSettings(manifest_path.resolve().parent / configured.path)
        return file_lock_for_manifest(manifest_path)
    return BlobLockSettings(
        container=configured.container,
        blob=configured.blob or f"tenantctl/{manifest.provider.manifest_name}.lock",
        account_url=configured.account_url,
    )


def check_same_options(path: Path, given: PlanOptions, saved: PlanOptions) -> None:
    """``apply --plan`` runs the plan as it was made; a flag asking for something else is a contradiction
    (it used to be ignored without a word)."""
    differing = []
    if given.tenants and set(given.tenants) != set(saved.tenants):
        differing.append(f"--tenant {' '.join(given.tenants)} (the plan: {' '.join(saved.tenants) or 'every tenant'})")
    flags = (("--prune", given.prune, saved.prune), ("--purge-deleted", given.purge_deleted, saved.purge_deleted))
    for flag, asked, made_with in (*flags, ("--retire", given.retire, saved.retire)):
        if asked and not made_with:
            differing.append(f"{flag} (the plan was made without it)")
    if differing:
        raise UsageError(
            f"apply --plan {path} applies the plan as it was made; {', '.join(differing)} cannot change it",
            code="plan-options",
            hint="Make a new plan with those options (`tenantctl plan ... --out plan.json`), or drop them.",
        )


@dataclass(frozen=True)
class ApplyOptions:
    plan: PlanOptions = field(default_factory=PlanOptions)
    saved_plan: Path | None = None  # ``apply --plan``: apply exactly this plan, refused when stale
    parallelism: int | None = None  # accounts written in parallel; None = adapt to the plan (executor)
    lock_timeout: float = 0.0  # seconds to wait for another apply's lock (0 = fail at once)


@dataclass(frozen=True)
class ApplyRun:
    """What one apply did. ``result`` is None when nothing was written: the plan was blocked by its
    errors, or had no changes."""

    plan: Plan
    warnings: Diagnostics
    result: ApplyResult | None = None


SessionOpener = Callable[[Manifest], AbstractContextManager["CloudSession"]]
ProgressOpener = Callable[[Plan], AbstractContextManager["ApplyHooks"]]
LockWaitOpener = Callable[[], AbstractContextManager["LockWait"]]


def apply_run(
    manifest_path: Path,
    options: ApplyOptions,
    *,
    open_session: SessionOpener,
    confirm: Callable[[Plan], bool],
    hooks: ProgressOpener,
    cannot_confirm: TenantctlError | None = None,
    lock_wait: LockWaitOpener | None = None,
) -> ApplyRun:
    """Plan (or re-check a saved plan) and apply it under the lock, once ``confirm`` says yes.

    ``cannot_confirm`` is why confirmation is impossible (no terminal to ask on): it is raised once the
    inputs are known to be valid, before the lock is taken or the cloud is touched. ``open_session``
    is called under the lock; ``hooks`` opens the progress view for the plan being applied;
    ``lock_wait`` opens the view of a wait for the lock another apply holds (closed once it is taken).
    """
    from tenantctl.execution.executor import apply_plan

    manifest, warnings = load_valid_manifest(manifest_path)
    saved, plan_options = _saved_plan_and_options(options)
    if cannot_confirm is not None:
        raise cannot_confirm
    lock = _apply_lock(manifest, manifest_path, options.lock_timeout, lock_wait)
    with lock, open_session(manifest) as session:
        planned = make_plan_run(manifest, session, plan_options, warnings)
        remember_pool(manifest_path, planned)
        plan = planned.plan
        if saved is not None:
            check_not_stale(saved, plan)
            plan = saved
        if plan.is_blocked or not plan.has_changes:
            return ApplyRun(plan, warnings)
        if not confirm(plan):
            raise UsageError("apply cancelled; nothing was changed", code="cancelled")
        with hooks(plan) as progress:
            result = apply_plan(
                plan, session.cloud, hooks=progress, parallelism=options.parallelism, prune_allowed=True
            )
    remember_pool(manifest_path, planned, result)
    if result.interrupted:
        warnings.warning(
            "interrupted",
            "apply was interrupted (Ctrl-C or SIGTERM): the writes in flight finished, the rest were skipped",
            detail="Nothing is lost: run `tenantctl apply` again and it converges from where it stopped.",
        )
    return ApplyRun(plan, warnings, result)


def remember_pool(manifest_path: Path, run: PlanRun, result: ApplyResult | None = None) -> None:
    """Record which pool subscription hosts which dedicated tenant and stamp (:mod:`tenantctl.manifest.pool_record`).

    From what the plan observed, and after an apply from the accounts it created: a subscription that
    hosts tenants can then not silently leave the pool. Only where a pool is (or was) in use.
    """
    from tenantctl.manifest.pool_record import pool_record_path, remember_pool_homes, stamp_entry
    from tenantctl.planning.pool_placement import dedicated_homes, observed_stamp_accounts
    from tenantctl.resources import Account

    manifest = run.manifest
    if not manifest.provider.pool and not pool_record_path(manifest_path).exists():
        return
    live = dict(run.observed.accounts)
    if result is not None:  # what the apply created and deleted (a retired old generation, a pruned tenant)
        done = {o.address for o in result.succeeded}
        for change in run.plan.changes:
            account = change.after or change.before
            if change.address not in done or not isinstance(account, Account):
                continue
            if change.after is None:
                live.pop(account.ref.key, None)
            else:
                live[account.ref.key] = account
    homes = {
        (tenant, account.ref.subscription_id.lower())
        for tenant, accounts in dedicated_homes(manifest, live).items()
        for account in accounts
    }
    homes.update(
        (stamp_entry(stamp_id), account.ref.subscription_id.lower())
        for stamp_id, accounts in observed_stamp_accounts(manifest, live).items()
        for account in accounts.values()
    )
    remember_pool_homes(manifest_path, manifest, homes, [m.subscription_id for m in manifest.subscription_pool()])


def _saved_plan_and_options(options: ApplyOptions) -> tuple[Plan | None, PlanOptions]:
    """The saved plan (``apply --plan``) and the options it was made with, or none and the flags."""
    if options.saved_plan is None:
        return None, options.plan
    saved, saved_options = read_saved_plan(options.saved_plan)
    check_same_options(options.saved_plan, options.plan, saved_options)
    return saved, saved_options


@contextmanager
def _apply_lock(
    manifest: Manifest, manifest_path: Path, timeout: float, lock_wait: LockWaitOpener | None
) -> Iterator[None]:
    """Hold the manifest's apply lock; a lock file that cannot be created is a usage error naming it."""
    from tenantctl.execution.lock import acquire_lock, default_holder

    with ExitStack() as stack:
        try:
            settings = lock_settings(manifest, manifest_path)
            with ExitStack() as waiting:  # the wait's view closes once the lock is taken (or not)
                on_wait = waiting.enter_context(lock_wait()) if lock_wait is not None else None
                stack.enter_context(acquire_lock(settings, holder=default_holder(), timeout=timeout, on_wait=on_wait))
        except OSError as exc:  # the lock file cannot be created: its directory is a file, read-only ...
            raise UsageError(
                f"cannot take the apply lock {exc.filename or ''}: {exc.strerror or exc}",
                code="lock-file",
                hint="The lock lives in .tenantctl/ beside the manifest; make that a writable directory.",
            ) from None
        yield
