"""After the meeting: actions, their evidence and the follow-up register."""
