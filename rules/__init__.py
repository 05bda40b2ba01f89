"""The cotraitance rules of RULES.md as pure polars functions (polars in, polars out)."""
