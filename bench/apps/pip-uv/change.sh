#!/usr/bin/env bash
# One pinned requirement changes version.
sed -i 's/^whitenoise==6.12.0$/whitenoise==6.11.0/' requirements.txt
