"""District bundles (shared/FORMATS.md): the files schools fill in and the files we hand back."""
