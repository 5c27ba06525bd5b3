#!/usr/bin/env bash
# Stops the services started by start.sh (npm run services:stop).
# Tries both even if one fails, so a broken Kafka never leaves Redis behind.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

rc=0
bash "$here/kafka.sh" stop || rc=1
bash "$here/redis.sh" stop || rc=1
exit "$rc"
