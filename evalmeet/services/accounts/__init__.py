"""Accounts, logins, sessions, API tokens and the audit log."""
