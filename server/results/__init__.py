"""Results: counts per question and per group of residents, as charts and tables."""
