"""Observation: what Azure has, read-only, through the cloud port (the stage between desired and planning).

* :mod:`~tenantctl.observation.state`: the :class:`ObservedState` records and their JSON form;
* :mod:`~tenantctl.observation.observer`: ``plan``'s two-step observation (accounts, then the lazy
  details planning asks for), one thread pool per run;
* :mod:`~tenantctl.observation.scoped`: the few reads ``inspect`` and ``quota`` show.

Planning imports this package's data types; this package never imports planning (import-linter
enforces it): :mod:`tenantctl.reconcile` wires observation and planning together.
"""

from __future__ import annotations

from tenantctl.observation.observer import DetailsNeeded, Observer, observe_accounts
from tenantctl.observation.scoped import (
    QuotaObservation,
    TenantObservation,
    manifest_regions,
    observe_catalogues,
    observe_quota,
    observe_tenant,
)
from tenantctl.observation.state import ObservedState, Region, is_managed, manifest_groups, split_by_owner

__all__ = [
    "DetailsNeeded",
    "ObservedState",
    "Observer",
    "QuotaObservation",
    "Region",
    "TenantObservation",
    "is_managed",
    "manifest_groups",
    "manifest_regions",
    "observe_accounts",
    "observe_catalogues",
    "observe_quota",
    "observe_tenant",
    "split_by_owner",
]
