"""Compliance: rule packs, the rule engine, live checks and redaction."""
