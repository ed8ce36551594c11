"""Redaction for serving code; the implementation is the leaf `recommender.redact` (catalog uses it too)."""

from __future__ import annotations

from recommender.redact import SECRET_PARAMS, redact_text, redact_url

__all__ = ["SECRET_PARAMS", "redact_text", "redact_url"]
