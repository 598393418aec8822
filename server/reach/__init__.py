"""Reach: who has not been heard yet, by setting respondents against the neighbourhood's make-up."""
