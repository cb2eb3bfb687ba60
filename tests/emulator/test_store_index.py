"""The emulator's store lists children through the (kind, parent, key) index, never by scanning a kind."""

from __future__ import annotations

from pathlib import Path

from tenantctl.emulator.store import Store


def _plan(store: Store, sql: str) -> str:
    with store.lock:
        rows = store._db.execute("EXPLAIN QUERY PLAN " + sql, ("deployment", "x")).fetchall()
    return " ".join(str(r[-1]) for r in rows)


def test_child_and_subscription_listings_search_their_index_in_key_order(tmp_path: Path) -> None:
    # A state file made by an older emulator (indexes without the key) is upgraded when opened.
    store = Store(tmp_path / "state.db")
    with store.lock:
        store._db.executescript(
            "DROP INDEX docs_parent_key; DROP INDEX docs_sub_key;"
            "CREATE INDEX docs_parent ON docs (kind, parent); CREATE INDEX docs_sub ON docs (kind, sub);"
        )
    store.close()
    store = Store(tmp_path / "state.db")
    for account in range(50):
        parent = f"/subscriptions/s/resourcegroups/rg/accounts/a{account:02d}"
        for name in ("b", "a", "c"):
            store.put("deployment", f"{parent}/deployments/{name}", {"name": name}, parent=parent, sub="s")
    children = _plan(store, "SELECT doc FROM docs WHERE kind=? AND parent=? ORDER BY key")
    in_sub = _plan(store, "SELECT doc FROM docs WHERE kind=? AND sub=? ORDER BY key")
    assert "docs_parent_key" in children
    assert "docs_sub_key" in in_sub
    assert "TEMP B-TREE" not in children + in_sub  # no sort: the index gives the order
    listed = store.children("deployment", "/subscriptions/s/resourcegroups/rg/accounts/a07")
    assert [d["name"] for d in listed] == ["a", "b", "c"]
    store.close()
