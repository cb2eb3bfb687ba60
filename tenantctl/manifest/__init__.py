"""The manifest layer: ``tenants.toml`` as typed, validated, editable data.

* :mod:`.model`      frozen pydantic models (the schema) and deployment resolution
* :mod:`.load`       ``load_manifest`` / ``parse_manifest`` → ``LoadResult`` (never raises)
* :mod:`.structure`  per-section validation; pydantic errors → diagnostics
* :mod:`.semantics`  cross-field rules (isolation fields, stamps, residency, filters, networks)
* :mod:`.names`      ids, Azure names, duplicates, tags        (rules in :mod:`tenantctl.naming`)
* :mod:`.capacity`   SKUs, capacity units, shared budgets, account limits
* :mod:`.regions`    Azure OpenAI regions → country, geography, data zone
* :mod:`.locate`     key path → line, from the raw text
* :mod:`.schema`     JSON Schema for editors
* :mod:`.starter`    the commented starter manifest
* :mod:`.edit`       tomlkit edits that keep comments and layout, atomic writes
"""

from __future__ import annotations
