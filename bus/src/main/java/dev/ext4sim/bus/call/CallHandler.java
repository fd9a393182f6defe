package dev.ext4sim.bus.call;

/** Serves one call type. Throw {@link dev.ext4sim.bus.ErrnoException} to answer with an errno. */
@FunctionalInterface
public interface CallHandler<Q, R> {
    R handle(Q request, CallContext context) throws Exception;
}
