"""The knowledge folder: loading it (library) and checking an override of it (check)."""
