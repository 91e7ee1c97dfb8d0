"""Rendering results: rich tables, exports and pictures."""
