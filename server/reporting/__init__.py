"""Reporting back: a public page per campaign with what residents said, and what the team will do next."""
