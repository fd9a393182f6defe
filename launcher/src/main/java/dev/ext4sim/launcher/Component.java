package dev.ext4sim.launcher;

import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * One process of the stack: the Kafka broker, one of the six services, with the HTTP port (offset from the
 * gateway's) where its health is read, or the local Prometheus that scrapes them.
 */
public record Component(String name, int portOffset, Kind kind) {
    /** What runs: a JVM of the launcher's own (broker, services) or Prometheus, a program installed apart. */
    public enum Kind { BROKER, SERVICE, PROMETHEUS }

    public static final Component KAFKA = new Component("kafka", -1, Kind.BROKER);
    public static final List<Component> SERVICES = List.of(
            new Component("gateway", 0, Kind.SERVICE),
            new Component("vfs-service", 1, Kind.SERVICE),
            new Component("ext4-service", 2, Kind.SERVICE),
            new Component("jbd2-service", 3, Kind.SERVICE),
            new Component("writeback-service", 4, Kind.SERVICE),
            new Component("blockdev-service", 5, Kind.SERVICE));
    /** Optional: not in {@link #all()}, which is the stack itself and works without it. */
    public static final Component PROMETHEUS = new Component("prometheus", -1, Kind.PROMETHEUS);

    public boolean service() {
        return kind == Kind.SERVICE;
    }

    /** The broker and the six services: what must run for the stack to serve. */
    public static List<Component> all() {
        return Stream.concat(Stream.of(KAFKA), SERVICES.stream()).toList();
    }

    /** Every process ./ext4sim may run: the stack and its Prometheus. */
    public static List<Component> supervised() {
        return Stream.concat(all().stream(), Stream.of(PROMETHEUS)).toList();
    }

    /**
     * The processes whose death is a power cut of the machine takes down with it: blockdev-service's takes ext4-service
     * and jbd2-service, whose memory held what the device lost (they would halt at their next I/O anyway, at the
     * device's new power-on; docs/architecture.md, failure model).
     */
    public List<Component> goDownWith() {
        return name.equals("blockdev-service")
                ? List.of(byName("ext4-service").orElseThrow(), byName("jbd2-service").orElseThrow()) : List.of();
    }

    public static Optional<Component> byName(String name) {
        return supervised().stream().filter(c -> c.name.equals(name)).findFirst();
    }

    public static List<String> names() {
        return supervised().stream().map(Component::name).toList();
    }
}
