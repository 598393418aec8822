"""Privacy: the audit log, voice-note retention and erasure by receipt code."""
