"""A campaign's codebook of themes, fragments of what residents said, and quotes for the public page."""
