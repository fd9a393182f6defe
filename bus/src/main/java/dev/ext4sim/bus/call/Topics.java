package dev.ext4sim.bus.call;

/** Topic names: one call topic per service, replies routed to the caller's topic, one trace topic. */
public final class Topics {
    public static final String TRACE = "ext4sim.trace";
    public static final String DEAD_LETTER = "ext4sim.dlt";
    public static final String EVENTS = "ext4sim.events";

    private Topics() {
    }

    public static String calls(String service) {
        return "ext4sim." + service + ".calls";
    }

    public static String replies(String service) {
        return "ext4sim." + service + ".replies";
    }
}
