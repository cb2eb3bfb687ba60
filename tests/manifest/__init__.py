"""Tests of the manifest layer (schema, loader, semantics, editing)."""
