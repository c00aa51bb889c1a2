#!/bin/sh
# The image's command dispatcher (installed as /usr/local/bin/plotbox). tini runs it as PID 1's
# child; `exec` makes Node that child, so tini's forwarded SIGTERM reaches Node's own graceful
# shutdown and tini reaps whatever the sandbox's workers leave behind.
#   api                  the dashboard API (default)
#   sandbox              the sandbox service
#   cli <command> ...    the operator CLI (services/api/src/cli.ts), arguments passed through:
#                        init, audit [export], backup [keygen], restore, user export|erase, --help
#   help, -h, --help     this usage
set -eu

usage() {
  cat >&2 <<'EOF'
usage: plotbox [api]              the dashboard API (the default)
       plotbox sandbox            the sandbox service
       plotbox cli COMMAND ...    the operator CLI; COMMAND is one of
           init | audit | audit export | backup | backup keygen | restore | user export | user erase
         (plotbox cli --help for their options)
       plotbox help | -h | --help
EOF
}

cmd="${1:-api}"
[ "$#" -eq 0 ] || shift
case "$cmd" in
  api | sandbox)
    if [ "$#" -ne 0 ]; then
      echo "plotbox: $cmd takes no arguments (configure it through the environment)" >&2
      exit 64
    fi
    exec node --no-node-snapshot "/app/services/$cmd/src/main.ts"
    ;;
  cli)
    exec node --no-node-snapshot --no-warnings /app/services/api/src/cli.ts "$@"
    ;;
  -h | --help | help)
    usage
    exit 0
    ;;
  *)
    echo "plotbox: unknown command: $cmd" >&2
    usage
    exit 64
    ;;
esac
