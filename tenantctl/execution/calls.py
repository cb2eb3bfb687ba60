"""Maps one scheduled step to the one blocking port call that performs it."""

from __future__ import annotations

from tenantctl.addresses import Address
from tenantctl.cloud.port import CloudPort
from tenantctl.errors import TerminalError
from tenantctl.execution.keys import store_account_keys
from tenantctl.execution.schedule import Part, Step
from tenantctl.planning.model import Action, ResourceKind
from tenantctl.resources import (
    Account,
    Blocklist,
    DeletedAccount,
    Deployment,
    DiagnosticSetting,
    PrivateEndpoint,
    RaiPolicy,
    ResourceGroup,
    VaultKeys,
)

__all__ = ["INVALID_PLAN_HINT", "perform"]

INVALID_PLAN_HINT = "the plan is malformed; re-run `tenantctl plan` and report a bug if it persists"


def perform(cloud: CloudPort, step: Step) -> object | None:
    """Send ``step``'s write; returns what the port returned (an Account or Deployment for PUTs)."""
    change = step.change
    if change.action is Action.DELETE or step.part is Part.DELETE:
        _delete(cloud, change.kind, change.before or change.after)
        return None
    if change.action is Action.PURGE:
        record = change.before or change.after
        if isinstance(record, DeletedAccount | Account):
            location = record.location
            cloud.purge_deleted_account(record.ref, location)
            return None
        raise _invalid(change.address, "a purge needs the soft-deleted account as `before`")
    restore = change.action is Action.RESTORE
    return _put(cloud, change.kind, change.after, restore=restore, address=change.address)


def _put(cloud: CloudPort, kind: ResourceKind, record: object, *, restore: bool, address: Address) -> object:
    if kind is ResourceKind.RESOURCE_GROUP and isinstance(record, ResourceGroup):
        cloud.ensure_resource_group(record)
        return record
    if kind is ResourceKind.ACCOUNT and isinstance(record, Account):
        return cloud.put_account(record, restore=restore, baseline=record.baseline)
    if kind is ResourceKind.DEPLOYMENT and isinstance(record, Deployment):
        return cloud.put_deployment(record)
    if kind is ResourceKind.RAI_POLICY and isinstance(record, RaiPolicy):
        cloud.put_rai_policy(record)
        return record
    if kind is ResourceKind.BLOCKLIST and isinstance(record, Blocklist):
        cloud.put_blocklist(record)
        return record
    if isinstance(record, (PrivateEndpoint, DiagnosticSetting, VaultKeys)):
        return _put_baseline(cloud, kind, record, address)
    raise _invalid(address, f"`after` is not a {kind.value} record")


def _put_baseline(
    cloud: CloudPort, kind: ResourceKind, record: PrivateEndpoint | DiagnosticSetting | VaultKeys, address: Address
) -> object:
    if kind is ResourceKind.ACCOUNT_KEYS and isinstance(record, VaultKeys):
        return store_account_keys(cloud, record)
    if kind is ResourceKind.PRIVATE_ENDPOINT and isinstance(record, PrivateEndpoint):
        return cloud.put_private_endpoint(record)
    if kind is ResourceKind.DIAGNOSTIC_SETTING and isinstance(record, DiagnosticSetting):
        return cloud.put_diagnostic_setting(record)
    raise _invalid(address, f"`after` is not a {kind.value} record")


def _delete(cloud: CloudPort, kind: ResourceKind, record: object) -> None:
    if kind is ResourceKind.ACCOUNT and isinstance(record, Account):
        cloud.delete_account(record.ref)
    elif kind is ResourceKind.DEPLOYMENT and isinstance(record, Deployment):
        cloud.delete_deployment(record.account, record.name)
    elif kind is ResourceKind.RAI_POLICY and isinstance(record, RaiPolicy):
        cloud.delete_rai_policy(record.account, record.name)
    elif kind is ResourceKind.BLOCKLIST and isinstance(record, Blocklist):
        cloud.delete_blocklist(record.account, record.name)
    elif kind is ResourceKind.PRIVATE_ENDPOINT and isinstance(record, PrivateEndpoint):
        cloud.delete_private_endpoint(record.subscription_id, record.resource_group, record.name)
    elif kind is ResourceKind.DIAGNOSTIC_SETTING and isinstance(record, DiagnosticSetting):
        cloud.delete_diagnostic_setting(record.target_id, record.name)
    elif kind is ResourceKind.RESOURCE_GROUP:
        # tenantctl never deletes resource groups: they may hold things it does not own
        raise TerminalError(
            "tenantctl does not delete resource groups",
            code="UnsupportedChange",
            hint="delete the resource group yourself if it is really unused",
        )
    else:
        raise TerminalError(f"cannot delete a {kind.value} from {type(record).__name__}", code="InvalidPlan")


def _invalid(address: Address, why: str) -> TerminalError:
    return TerminalError(f"{address}: {why}", code="InvalidPlan", hint=INVALID_PLAN_HINT)
