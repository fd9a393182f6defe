package dev.ext4sim.launcher;

import java.util.List;
import java.util.Optional;

/**
 * One process of the stack: the Kafka broker or one of the six services, with the HTTP port (offset from the
 * gateway's) where its health is read.
 */
public record Component(String name, int portOffset, boolean service) {
    public static final Component KAFKA = new Component("kafka", -1, false);
    public static final List<Component> SERVICES = List.of(
            new Component("gateway", 0, true),
            new Component("vfs-service", 1, true),
            new Component("ext4-service", 2, true),
            new Component("jbd2-service", 3, true),
            new Component("writeback-service", 4, true),
            new Component("blockdev-service", 5, true));

    public static List<Component> all() {
        return java.util.stream.Stream.concat(java.util.stream.Stream.of(KAFKA), SERVICES.stream()).toList();
    }

    public static Optional<Component> byName(String name) {
        return all().stream().filter(c -> c.name.equals(name)).findFirst();
    }

    public static List<String> names() {
        return all().stream().map(Component::name).toList();
    }
}
