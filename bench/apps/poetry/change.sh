#!/usr/bin/env bash
# One pinned package changes version: whitenoise 6.12.0 -> 6.11.0. poetry.lock.changed was made from
# pyproject.toml.changed with `poetry lock`; running this again swaps back.
set -euo pipefail
for file in pyproject.toml poetry.lock; do
  mv "$file" "$file.swap" && mv "$file.changed" "$file" && mv "$file.swap" "$file.changed"
done
