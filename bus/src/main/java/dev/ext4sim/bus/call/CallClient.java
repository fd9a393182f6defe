package dev.ext4sim.bus.call;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.Scheduler;
import dev.ext4sim.bus.Time;
import dev.ext4sim.bus.trace.TraceContext;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The calling side of request/reply: every call gets an id, a deadline and a future; a reply on this service's
 * reply topic completes it, the deadline fails it. Nothing waits forever: a call that cannot be sent fails with
 * EIO at once, one that is not answered in time fails with ETIMEDOUT, or EIO when no instance of the peer is
 * alive to answer.
 */
public final class CallClient {
    private static final Logger log = LoggerFactory.getLogger(CallClient.class);

    private final String replyTopic;
    private final Transport transport;
    private final Time time;
    private final Scheduler scheduler;
    private final PeerLiveness liveness;
    private final Executor blockingWork;
    private final Map<UUID, Pending<?>> pending = new ConcurrentHashMap<>();

    public CallClient(String replyTopic, Transport transport, Time time, Scheduler scheduler,
                      PeerLiveness liveness, Executor blockingWork) {
        this.replyTopic = Objects.requireNonNull(replyTopic);
        this.transport = Objects.requireNonNull(transport);
        this.time = Objects.requireNonNull(time);
        this.scheduler = Objects.requireNonNull(scheduler);
        this.liveness = Objects.requireNonNull(liveness);
        this.blockingWork = Objects.requireNonNull(blockingWork);
    }

    private record Pending<R>(String peer, CallType<?, R> type, Duration timeout, CompletableFuture<R> future,
                              Scheduler.Cancellable timer) {
    }

    /** Starts a call; the future fails with an {@link ErrnoException} and never outlives the timeout. */
    public <Q, R> CompletableFuture<R> call(String peer, CallType<Q, R> type, Q request, Duration timeout,
                                            TraceContext trace) {
        UUID id = UUID.randomUUID();
        CompletableFuture<R> future = new CompletableFuture<>();
        byte[] body;
        try {
            body = type.requestCodec().encode(request);
        } catch (RuntimeException e) {
            future.completeExceptionally(new ErrnoException(Errno.EINVAL,
                    "could not encode the " + type.name() + " request: " + e.getMessage(), e));
            return future;
        }
        long deadline = time.currentTimeMillis() + timeout.toMillis();
        // Registered before the timer is armed: a timer that fires at once (a zero timeout) must find the call.
        AtomicReference<Scheduler.Cancellable> timer = new AtomicReference<>();
        pending.put(id, new Pending<>(peer, type, timeout, future, () -> {
            Scheduler.Cancellable t = timer.get();
            if (t != null) {
                t.cancel();
            }
        }));
        timer.set(scheduler.schedule(timeout, () -> expire(id)));
        Request req = new Request(type.name(), type.version(), id, replyTopic, deadline, trace, body);
        transport.send(Topics.calls(peer), peer, EnvelopeCodec.encode(req)).whenComplete((ok, error) -> {
            if (error != null) {
                fail(id, new ErrnoException(Errno.EIO, "could not send " + type.name() + " to " + peer
                        + " over Kafka (" + rootMessage(error) + "); check that the broker is up: ./ext4sim status",
                        error));
            }
        });
        return future;
    }

    /** The blocking form, for virtual threads: returns the reply or throws the call's {@link ErrnoException}. */
    public <Q, R> R invoke(String peer, CallType<Q, R> type, Q request, Duration timeout, TraceContext trace) {
        return await(call(peer, type, request, timeout, trace), peer, type);
    }

    /** Waits for the reply of a {@link #call} made earlier, as {@link #invoke} does. */
    public <Q, R> R await(CompletableFuture<R> call, String peer, CallType<Q, R> type) {
        try {
            return call.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ErrnoException(Errno.EIO, "interrupted while waiting for " + peer + " to answer " + type.name());
        } catch (ExecutionException | CompletionException | CancellationException e) {
            throw asErrno(e.getCause() == null ? e : e.getCause());
        }
    }

    /** A frame from this service's reply topic. Replies to calls that already gave up are dropped. */
    public void onReply(Frame frame) {
        Reply reply;
        try {
            reply = EnvelopeCodec.decodeReply(frame);
        } catch (MalformedEnvelopeException e) {
            log.warn("dropped a malformed record on {}: {}", replyTopic, e.getMessage());
            return;
        }
        Pending<?> p = pending.remove(reply.id());
        if (p == null) {
            return;
        }
        p.timer().cancel();
        complete(p, reply);
    }

    public int inFlight() {
        return pending.size();
    }

    private <R> void complete(Pending<R> p, Reply reply) {
        if (reply.failed()) {
            p.future().completeExceptionally(new ErrnoException(reply.errno(), reply.detail()));
            return;
        }
        try {
            p.future().complete(p.type().replyCodec().decode(reply.body()));
        } catch (RuntimeException e) {
            p.future().completeExceptionally(new ErrnoException(Errno.EBADMSG,
                    p.peer() + " answered " + p.type().name() + " with an undecodable body: " + e.getMessage(), e));
        }
    }

    private void expire(UUID id) {
        Pending<?> p = pending.remove(id);
        if (p == null) {
            return;
        }
        // Asking the broker who is alive takes a round trip: not on the timer thread.
        blockingWork.execute(() -> p.future().completeExceptionally(timeoutError(p)));
    }

    private ErrnoException timeoutError(Pending<?> p) {
        long ms = p.timeout().toMillis();
        if (Boolean.FALSE.equals(liveness.isAlive(p.peer()).orElse(null))) {
            return new ErrnoException(Errno.EIO, "no instance of " + p.peer() + " is consuming "
                    + Topics.calls(p.peer()) + ", so " + p.type().name() + " went unanswered for " + ms
                    + " ms; start it: ./ext4sim start " + p.peer());
        }
        return new ErrnoException(Errno.ETIMEDOUT, p.peer() + " did not answer " + p.type().name() + " within "
                + ms + " ms; see ./ext4sim status and the log of " + p.peer());
    }

    private void fail(UUID id, ErrnoException error) {
        Pending<?> p = pending.remove(id);
        if (p != null) {
            p.timer().cancel();
            p.future().completeExceptionally(error);
        }
    }

    static ErrnoException asErrno(Throwable t) {
        if (t instanceof ErrnoException e) {
            return e;
        }
        return new ErrnoException(Errno.EIO, rootMessage(t), t);
    }

    private static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getClass().getSimpleName() + (root.getMessage() == null ? "" : ": " + root.getMessage());
    }
}
