"""Chargeback: the manifest's ``[pricing]`` table applied to a deployment's usage.

Pay-as-you-go SKUs are charged per token, prompt and completion at their own price; provisioned
SKUs per PTU and hour of the window, used or not (that is how Azure bills reserved throughput).
Money is :class:`~decimal.Decimal` rounded to 1/10,000 per deployment, so a tenant's cost is the
exact sum of its deployments' and the total the exact sum of the tenants'.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

from tenantctl.manifest.model import PROVISIONED_SKUS, Pricing

__all__ = ["CENT_FRACTION", "deployment_cost", "has_price"]

CENT_FRACTION = Decimal("0.0001")
_MILLION = Decimal(1_000_000)


def _match(model: str | None, sku: str | None, want_model: str, want_sku: str) -> int:
    """2: exact model and SKU; 1: the wildcard side matches; 0: no match."""
    model_ok = model is None or model.lower() == want_model.lower()
    sku_ok = sku is None or sku.lower() == want_sku.lower()
    if not (model_ok and sku_ok):
        return 0
    return 2 if model is not None and sku is not None else 1


def has_price(pricing: Pricing, model: str, sku: str) -> bool:
    return _price(pricing, model, sku) is not None


def _price(pricing: Pricing, model: str, sku: str) -> tuple[Decimal, Decimal] | Decimal | None:
    if sku in PROVISIONED_SKUS:
        ptu = [(score, p) for p in pricing.ptu if (score := _match(p.model, p.sku, model, sku))]
        return Decimal(str(max(ptu, key=lambda s: s[0])[1].per_hour)) if ptu else None
    tokens = [(score, p) for p in pricing.tokens if (score := _match(p.model, p.sku, model, sku))]
    if not tokens:
        return None
    best = max(tokens, key=lambda s: s[0])[1]
    return Decimal(str(best.input_per_million)), Decimal(str(best.output_per_million))


def deployment_cost(
    pricing: Pricing, *, model: str, sku: str, prompt_tokens: int, completion_tokens: int, capacity: int, hours: Decimal
) -> Decimal | None:
    """Cost of one deployment over the window, or None when the table has no price for it."""
    price = _price(pricing, model, sku)
    if price is None:
        return None
    if isinstance(price, Decimal):  # PTU-hour
        cost = price * capacity * hours
    else:
        cost = (prompt_tokens * price[0] + completion_tokens * price[1]) / _MILLION
    return cost.quantize(CENT_FRACTION, rounding=ROUND_HALF_EVEN)
