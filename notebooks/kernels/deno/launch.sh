#!/bin/sh
# Jupyter kernel launcher for bnlab's notebooks: Deno 2.9.6, the version the
# README pins, fetched from npm by npx. The real binary is looked up once and
# exec'd, so Jupyter's interrupt (SIGINT) and kill reach the kernel itself
# rather than npm's wrapper processes.
#   usage: launch.sh CONNECTION_FILE   (kernel.json passes {connection_file})
set -eu
[ $# -eq 1 ] || { echo "launch.sh: expected one argument, the connection file; got $#" >&2; exit 2; }
deno=$(npx --yes deno@2.9.6 eval --no-config 'console.log(Deno.execPath())')
[ -x "$deno" ] || { echo "launch.sh: npx did not give a Deno binary (got '$deno')" >&2; exit 1; }
NO_COLOR=1 exec "$deno" jupyter --kernel --conn "$1"
