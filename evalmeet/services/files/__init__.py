"""Files in and out: imports, exports, minutes, spreadsheets and backups."""
