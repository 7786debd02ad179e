#!/usr/bin/env bash
# One pinned package changes version: six 1.17.0 -> 1.16.0. uv.lock.changed was made from
# pyproject.toml.changed with `uv lock`; running this again swaps back.
set -euo pipefail
for file in pyproject.toml uv.lock; do
  mv "$file" "$file.swap" && mv "$file.changed" "$file" && mv "$file.swap" "$file.changed"
done
