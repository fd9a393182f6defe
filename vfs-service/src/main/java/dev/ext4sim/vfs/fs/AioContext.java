package dev.ext4sim.vfs.fs;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.vfs.VfsAioCalls.Event;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One process's kioctx (fs/aio.c): the iocbs it submitted that are not yet complete, and the ring of io_events
 * waiting to be reaped, oldest first. An iocb holds its slot from submission until its event is reaped, so that a
 * completion always finds room in the ring (aio's reqs_available).
 */
public final class AioContext {
    /** The slots of the context: io_setup(256)'s nr_events, as a process without io_setup of its own gets here. */
    public static final int NR_EVENTS = 256;

    private final int nrEvents;
    private final Map<Long, Integer> inFlight = new HashMap<>();
    private final Deque<Event> ring = new ArrayDeque<>();
    private long nextId = 1;

    public AioContext(int nrEvents) {
        this.nrEvents = nrEvents;
    }

    /** A slot and an id for an iocb on {@code fd}; EAGAIN when every slot is taken (io_submit's -EAGAIN). */
    public synchronized long reserve(int fd) {
        if (inFlight.size() + ring.size() >= nrEvents) {
            throw new ErrnoException(Errno.EAGAIN, "the io context holds " + nrEvents + " iocbs in flight or unreaped;"
                    + " reap completions with io_getevents first");
        }
        long id = nextId++;
        inFlight.put(id, fd);
        return id;
    }

    /** An iocb whose submission failed: its slot is free again and no event will come. */
    public synchronized void cancel(long id) {
        inFlight.remove(id);
    }

    /** aio_complete: the iocb's event into the ring. An id this context does not know (a restart) is dropped. */
    public synchronized void complete(long id, long res) {
        Integer fd = inFlight.remove(id);
        if (fd != null) {
            ring.add(new Event(id, fd, res));
            notifyAll();
        }
    }

    /**
     * read_events: up to {@code nr} events, waiting up to {@code timeoutMillis} until at least {@code minNr} are
     * there; fewer (or none) when the time runs out first.
     */
    public synchronized List<Event> getEvents(int minNr, int nr, long timeoutMillis) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        while (ring.size() < minNr) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                break;
            }
            wait(Math.max(1, left / 1_000_000L));
        }
        List<Event> out = new ArrayList<>();
        while (out.size() < nr && !ring.isEmpty()) {
            out.add(ring.poll());
        }
        return out;
    }

    public synchronized int inFlight() {
        return inFlight.size();
    }
}
