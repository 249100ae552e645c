"""The archive: search, per-meeting summaries, the dashboard, people, publishing, statistics."""
