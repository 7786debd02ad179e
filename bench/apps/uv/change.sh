#!/usr/bin/env bash
# One pinned package changes version: whitenoise 6.12.0 -> 6.11.0. uv.lock.changed was made from
# pyproject.toml.changed with `uv lock`; running this again swaps back.
set -euo pipefail
for file in pyproject.toml uv.lock; do
  mv "$file" "$file.swap" && mv "$file.changed" "$file" && mv "$file.swap" "$file.changed"
done
