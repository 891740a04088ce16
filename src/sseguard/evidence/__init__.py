"""Scan history and audit evidence: an append-only, hash-chained SQLite history of every run, period reports
computed from it, and zip bundles with a manifest of SHA-256 hashes that can be verified later."""

# The variable that names the history file; the command line reads it too, without importing the evidence modules.
DB_ENV = "SSEGUARD_DB"
