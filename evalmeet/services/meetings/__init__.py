"""Meetings, their roster and items, and running them live (agenda, questions, screens, alerts)."""
