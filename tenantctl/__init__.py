"""tenantctl: declarative tenant lifecycle manager for SaaS providers serving tenants from Azure OpenAI."""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
