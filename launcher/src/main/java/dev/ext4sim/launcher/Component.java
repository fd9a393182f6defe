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

    public static Optional<Component> byName(String name) {
        return supervised().stream().filter(c -> c.name.equals(name)).findFirst();
    }

    public static List<String> names() {
        return supervised().stream().map(Component::name).toList();
    }
}
