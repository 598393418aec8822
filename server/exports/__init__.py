"""Exports of a campaign's responses (CSV, XLSX, JSON) and of its voice notes (zip), streamed."""
