#!/bin/bash
# Healthy when the service's /actuator/health says 200 (UP), and those of EXT4SIM_HEALTH_ALSO too; the broker when
# its port accepts. What runs is read from PID 1 (the entrypoint execs java), as a healthcheck does not see a SERVICE
# the entrypoint took from its arguments.
set -u
cmd=$(tr '\0' ' ' < /proc/1/cmdline)
case "$cmd" in
  *BrokerMain*) exec 3<>"/dev/tcp/127.0.0.1/${KAFKA_PORT:-9092}" && exit 0 || exit 1 ;;
  */app/gateway.jar*) port=8080 ;;
  */app/vfs-service.jar*) port=8081 ;;
  */app/ext4-service.jar*) port=8082 ;;
  */app/jbd2-service.jar*) port=8083 ;;
  */app/writeback-service.jar*) port=8084 ;;
  */app/blockdev-service.jar*) port=8085 ;;
  *) exit 1 ;;
esac
port=${SERVER_PORT:-$port}

# UP when /actuator/health at host:port answers 200
up() {
  local status
  exec 3<>"/dev/tcp/$1/$2" || return 1
  printf 'GET /actuator/health HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
  IFS= read -r -t 3 status <&3 || { exec 3>&-; return 1; }
  exec 3>&-
  case "$status" in *" 200 "*) return 0 ;; *) return 1 ;; esac
}

up 127.0.0.1 "$port" || exit 1
# EXT4SIM_HEALTH_ALSO: host:port of the services this one is healthy only with (the gateway names the other five,
# so that its health means open(2) works, as ./ext4sim up's wait does)
for peer in ${EXT4SIM_HEALTH_ALSO:-}; do
  up "${peer%:*}" "${peer##*:}" || exit 1
done
exit 0
