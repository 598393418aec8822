"""Search what residents said: the database's own full-text engine over answers, transcripts, translations
and comments."""
