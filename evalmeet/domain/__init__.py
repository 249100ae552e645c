"""Pure Python rules: no database, no Flask."""
