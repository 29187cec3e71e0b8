"""Bundled sample data and the `advocacy demo` walk-through of the whole pipeline."""
