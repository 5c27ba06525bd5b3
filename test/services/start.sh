#!/usr/bin/env bash
# Starts every service the integration tests use (npm run services:start).
# Both scripts are idempotent, so this is safe to run when they are already up.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# Redis first: it is ready in well under a second, Kafka takes a few.
bash "$here/redis.sh" start
bash "$here/kafka.sh" start
