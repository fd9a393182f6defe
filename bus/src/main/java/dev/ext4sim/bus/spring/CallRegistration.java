package dev.ext4sim.bus.spring;

import dev.ext4sim.bus.call.CallServer;

/** A service's calls: declare one as a bean and the bus registers its handlers before it starts serving. */
@FunctionalInterface
public interface CallRegistration {
    void register(CallServer server);
}
