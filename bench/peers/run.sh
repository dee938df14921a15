#!/usr/bin/env bash
# Compares modgate's matching with go-away and obscenity on modgate's
# labelled evaluation set, and prints Markdown tables (the ones in README's
# "Matching text" section): the whole set, then its last held-out batch. Needs go, node and npm. The npm packages
# (obscenity, and naughty-words for the LDNOOBW English list) are installed
# into a temporary directory, never into the repository.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

(cd "$work" && npm init -y >/dev/null && npm install --silent --no-audit --no-fund obscenity@0.4.6 naughty-words@1.2.0 >/dev/null)
eval="$here/../../rules/textfn/testdata/eval.tsv"
NODE_PATH="$work/node_modules" node "$here/obscenity.js" "$eval" >"$work/obscenity.txt"
cd "$here"
go run . -eval "$eval" -list "$work/node_modules/naughty-words/en.json" -obscenity "$work/obscenity.txt"
