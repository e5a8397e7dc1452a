#!/bin/sh
# Make sure Debian's Chromium is installed: tests/test_report_browser.py opens the
# `scrapy report` page in it (headless). Idempotent: does nothing when chromium is there.
# Called by `make test` (and so by CI); needs root or sudo to install.
set -eu

if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
    exit 0
fi

missing() {
    echo "ensure-chromium: $1" >&2
    # CI must run the browser test; elsewhere the test is skipped with a note.
    if [ -n "${CI:-}" ]; then exit 1; fi
    exit 0
}

command -v apt-get >/dev/null 2>&1 || missing "no chromium and no apt-get: install Chromium by hand"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || missing "no chromium; run as root: apt-get install chromium"
    SUDO="sudo"
fi
echo "ensure-chromium: installing Debian's chromium (for the report page test)" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq chromium >/dev/null
command -v chromium >/dev/null 2>&1 || missing "apt-get ran but chromium is still missing"
