package dev.ext4sim.bus.spring;

import dev.ext4sim.bus.call.Events;

/** A service's one-way event handlers: declare one as a bean and the bus subscribes them before it starts. */
@FunctionalInterface
public interface EventSubscription {
    void subscribe(Events events);
}
