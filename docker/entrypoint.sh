#!/bin/bash
# Runs one part of ext4sim: the first argument, else $SERVICE. Extra arguments go to the service (Spring --options).
set -euo pipefail
what=${1:-${SERVICE:-}}
[ $# -gt 0 ] && shift
launcher=(-cp '/app/launcher/launcher.jar:/app/launcher/lib/*')
# shellcheck disable=SC2206
opts=(${JAVA_OPTS:-})
case "$what" in
  broker|kafka)
    # KRaft, one node, data under $EXT4SIM_HOME/kafka; clients reach it by the name in EXT4SIM_BROKER_ADVERTISED.
    export EXT4SIM_BROKER_LISTEN=${EXT4SIM_BROKER_LISTEN:-0.0.0.0}
    export EXT4SIM_BROKER_ADVERTISED=${EXT4SIM_BROKER_ADVERTISED:-$(hostname)}
    exec java -XX:+UseSerialGC -Xss512k -Xmx512m ${BROKER_JAVA_OPTS:-} -Dlogback.configurationFile=logback-broker.xml \
      "${launcher[@]}" dev.ext4sim.launcher.BrokerMain "$EXT4SIM_HOME/kafka" "${KAFKA_PORT:-9092}" "${KAFKA_CONTROLLER_PORT:-9093}"
    ;;
  mkfs)
    # Formats the disk image once; a later start finds it and leaves the data alone.
    image=${EXT4SIM_BLOCKDEV_IMAGE:-$EXT4SIM_HOME/sda.img}
    if [ -s "$image" ]; then
      echo "ext4sim: $image exists; keeping it"
      exit 0
    fi
    exec java -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Dext4sim.root=/app "${launcher[@]}" dev.ext4sim.launcher.Main mkfs "$image" "$@"
    ;;
  gateway|vfs-service|ext4-service|jbd2-service|writeback-service|blockdev-service)
    exec java "${opts[@]}" -jar "/app/$what.jar" "$@"
    ;;
  *)
    echo "ext4sim image: name what to run as the command or SERVICE=...: broker, mkfs, gateway, vfs-service, ext4-service, jbd2-service, writeback-service or blockdev-service (got '${what}')" >&2
    exit 2
    ;;
esac
