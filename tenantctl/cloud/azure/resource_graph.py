"""Azure Resource Graph: tenantctl's accounts across every subscription of a run in one paged query.

What Microsoft documents, and what this module does about it (URLs in ``tenantctl/emulator/README.md``):

* The ``resources`` table holds ``microsoft.cognitiveservices/accounts`` but not their ``deployments``
  (nor RAI policies or blocklists): only accounts are read here, children stay per-account listings.
* One request may name at most 1,000 subscriptions and return at most 1,000 rows (``$top``); the rest
  comes page by page with ``$skipToken``.  Rows are ordered by id so pages are repeatable.
* Every answer carries ``x-ms-user-quota-remaining`` / ``x-ms-user-quota-resets-after`` (a per-user
  window, e.g. 15 queries per 5 s): when the window is used up the next page waits for its reset
  instead of earning a 429; a 429 that comes anyway is retried after the reset the answer names
  (:func:`tenantctl.cloud.azure.errors.retry_after_of`).
* Resource Graph is fed by Resource Manager's change notifications and lags its writes (seconds,
  with no upper bound): callers must confirm against ARM what a decision depends on
  (:mod:`tenantctl.observation.fleet_accounts`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from azure.core.exceptions import HttpResponseError
from azure.mgmt.cognitiveservices import models as cs

from tenantctl import naming
from tenantctl.cloud.azure import convert
from tenantctl.cloud.azure.errors import duration_seconds, error_code
from tenantctl.errors import TerminalError
from tenantctl.resources import Account

__all__ = [
    "ACCOUNT_TYPE",
    "MAX_PAGE_SIZE",
    "MAX_SUBSCRIPTIONS",
    "ResourceGraphUnavailableError",
    "is_unavailable",
    "managed_accounts_query",
    "query_rows",
    "row_to_account",
]

T = TypeVar("T")

ACCOUNT_TYPE = "microsoft.cognitiveservices/accounts"
MAX_PAGE_SIZE = 1000  # the most rows one answer may hold ($top)
MAX_SUBSCRIPTIONS = 1000  # the most subscriptions one request may name
# The columns an Account record is built from: the same fields an ARM GET of the account answers with.
_COLUMNS = "id, name, type, location, kind, sku, tags, identity, properties"
# Codes that say "Resource Graph is not there for this caller or cloud", as opposed to a failed query:
# provider not registered or unknown in this cloud (404), or no permission to use it (403).
_UNAVAILABLE_CODES = frozenset(
    {
        "authorizationfailed",
        "forbidden",
        "invalidresourcetype",
        "missingsubscriptionregistration",
        "noregisteredproviderfound",
        "resourcenotfound",
        "notfound",
    }
)


class ResourceGraphUnavailableError(TerminalError):
    """Resource Graph cannot be used here (not registered, not in this cloud, or forbidden): list instead.

    A TerminalError, so the retry policy passes it through untouched and never re-sends the query."""


def managed_accounts_query() -> str:
    """The KQL sent: Cognitive Services accounts carrying tenantctl's ownership tag, ordered by id."""
    return (
        f"resources | where type =~ '{ACCOUNT_TYPE}' and "
        f"tags['{naming.TAG_MANAGED_BY}'] =~ '{naming.MANAGED_BY_VALUE}' "
        f"| project {_COLUMNS} | order by id asc"
    )


def is_unavailable(exc: BaseException) -> bool:
    """Whether a failed query means "no Resource Graph here" (fall back to ARM listings) rather than an error."""
    if not isinstance(exc, HttpResponseError):
        return False
    status = getattr(exc, "status_code", None)
    return status in (403, 404) or (status == 400 and error_code(exc).lower() in _UNAVAILABLE_CODES)


def row_to_account(row: dict[str, Any]) -> Account:
    """One ``objectArray`` row as the :class:`Account` record ``accounts.list`` would give (same decoding)."""
    return convert.to_account(cs.Account.deserialize(row))


@dataclass(frozen=True)
class _Page:
    rows: list[dict[str, Any]]
    skip_token: str | None
    quota_remaining: int | None
    resets_after: float | None


def _headers_kept(pipeline_response: Any, deserialized: Any, _: Any) -> tuple[Any, Any]:
    return deserialized, pipeline_response.http_response.headers


def _one_page(client: Any, subscriptions: Sequence[str], query: str, top: int, token: str | None) -> _Page:
    from azure.mgmt.resourcegraph import models as rg

    request = rg.QueryRequest(
        subscriptions=list(subscriptions),
        query=query,
        options=rg.QueryRequestOptions(top=top, skip_token=token, result_format="objectArray"),
    )
    try:
        answer, headers = client.resources(request, cls=_headers_kept)
    except HttpResponseError as exc:
        if is_unavailable(exc):
            raise ResourceGraphUnavailableError(
                f"Resource Graph is not available: ({error_code(exc)}) {str(exc.message or exc).splitlines()[0]}",
                code=error_code(exc),
            ) from None
        raise
    remaining = headers.get("x-ms-user-quota-remaining")
    return _Page(
        rows=list(answer.data or []),
        skip_token=answer.skip_token or None,
        quota_remaining=int(remaining) if remaining not in (None, "") else None,
        resets_after=duration_seconds(headers.get("x-ms-user-quota-resets-after")),
    )


def query_rows(
    client: Any,
    subscriptions: Sequence[str],
    query: str,
    *,
    page_size: int,
    run: Callable[[str, Callable[[], _Page]], _Page],
    pause: Callable[[float], None],
) -> Iterator[dict[str, Any]]:
    """Every row of ``query`` over ``subscriptions``: batches of 1,000 subscriptions, pages of ``page_size``.

    Each page is one retried unit (``run``); a used-up quota window is waited out (``pause``) before
    the next page is asked for, so a long listing paces itself instead of collecting 429s.
    """
    top = max(1, min(MAX_PAGE_SIZE, page_size))
    ordered = sorted(dict.fromkeys(s.lower() for s in subscriptions))
    last: _Page | None = None
    for start in range(0, len(ordered), MAX_SUBSCRIPTIONS):
        batch = ordered[start : start + MAX_SUBSCRIPTIONS]
        token: str | None = None
        while True:
            if last is not None and last.quota_remaining is not None and last.quota_remaining <= 0:
                pause(last.resets_after or 1.0)
            last = run(
                f"query Resource Graph for accounts in {len(batch)} subscription(s)",
                functools.partial(_one_page, client, batch, query, top, token),
            )
            yield from last.rows
            if last.skip_token is None:
                break
            token = last.skip_token
