"""The secret ballot: opening and closing a round, casting, tallies and receipts."""
