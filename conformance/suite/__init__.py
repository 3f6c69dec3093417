"""The conformance checks: one test per requirement, grouped by area."""
