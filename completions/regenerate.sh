#!/usr/bin/env bash
# Regenerate the committed completion scripts from the current CLI.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --quiet -- completions bash > completions/qqbot.bash
cargo run --quiet -- completions zsh > completions/_qqbot
cargo run --quiet -- completions fish > completions/qqbot.fish
