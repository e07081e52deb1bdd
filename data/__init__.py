"""The curated dataset (YAML), shipped as package data; see docs/dataset.md."""
