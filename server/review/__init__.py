"""Reviewing what residents said: the inbox, a response's page, tags, comments, transcripts."""
