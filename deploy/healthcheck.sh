#!/bin/sh
# Container health check of the kvmesh image (Dockerfile HEALTHCHECK).
# - KVMESH_HEALTH_URL set (the frontend): GET it, healthy on 2xx (/health is 503 until every
#   listed model has a routable worker).
# - otherwise (gRPC services): grpc.health.v1 on 127.0.0.1:$KVMESH_HEALTH_PORT must be SERVING.
set -eu
if [ -n "${KVMESH_HEALTH_URL:-}" ]; then
  exec node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$KVMESH_HEALTH_URL"
fi
exec kvmesh healthcheck "127.0.0.1:${KVMESH_HEALTH_PORT:-50051}" --timeout 3s
