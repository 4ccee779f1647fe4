#!/usr/bin/env bash
# The reaper of scripts/reaper.ts: reads `+PGID` / `-PGID` lines from its stdin, and when stdin
# closes (its launcher has died, however) stops every process group still registered:
# SIGTERM, then SIGKILL after 5 s. It ignores signals: only the pipe ends it.
trap '' INT TERM HUP
declare -A groups
while IFS= read -r line; do
  case "$line" in
    +*) groups[${line:1}]=1 ;;
    -*) unset "groups[${line:1}]" ;;
  esac
done
(( ${#groups[@]} )) || exit 0
for g in "${!groups[@]}"; do kill -TERM -- "-$g" 2>/dev/null; done
for _ in $(seq 50); do
  alive=0
  for g in "${!groups[@]}"; do kill -0 -- "-$g" 2>/dev/null && alive=1; done
  (( alive )) || exit 0
  sleep 0.1
done
for g in "${!groups[@]}"; do kill -KILL -- "-$g" 2>/dev/null; done
