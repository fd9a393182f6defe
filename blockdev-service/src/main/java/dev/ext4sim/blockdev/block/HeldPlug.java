package dev.ext4sim.blockdev.block;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * A task's plug that outlives its submissions: 6.x's wb_writeback holds one around the flusher's whole round, so the
 * requests of every writepages in the round wait in it until blk_finish_plug issues them together. The requests here
 * are issued at once, since their submitter waits for them; what waits is their trace: block_plug comes with the
 * plug's first request, and block_unplug, block_rq_issue and everything after it (the driver's command, the
 * completion) at the finish, in the kernel's order. A full plug finishes early, as blk_add_rq_to_plug flushes it.
 */
final class HeldPlug {
    /** One request's trace while the plug holds it. */
    static final class Entry {
        final Request rq;
        private final List<Runnable> atIssue = new ArrayList<>(1);
        private final List<Runnable> atCompletion = new ArrayList<>(2);
        private boolean completing;
        private boolean released;

        private Entry(Request rq) {
            this.rq = rq;
        }

        /** Keeps {@code emit} for the finish; false once the plug has let the request go (emit it now). */
        synchronized boolean defer(Runnable emit) {
            if (released) {
                return false;
            }
            (completing ? atCompletion : atIssue).add(emit);
            return true;
        }

        /** From here on the request's events are its completion's. */
        synchronized void completing() {
            completing = true;
        }
    }

    private final List<Entry> entries = new ArrayList<>();

    synchronized boolean isEmpty() {
        return entries.isEmpty();
    }

    /** 6.x's blk_add_rq_to_plug test, as {@link Plug#full()}. */
    synchronized boolean full() {
        return entries.size() >= Plug.BLK_MAX_REQUEST_COUNT
                || (!entries.isEmpty() && entries.getLast().rq.bytes >= Plug.BLK_PLUG_FLUSH_SIZE);
    }

    synchronized Entry add(Request rq) {
        Entry e = new Entry(rq);
        entries.add(e);
        return e;
    }

    /**
     * blk_finish_plug's trace: {@code unplug} with the number of requests held, then each request's {@code issue} and
     * what its issue deferred, then the completions that came meanwhile. Returns the requests let go.
     */
    int release(Consumer<Integer> unplug, Consumer<Request> issue) {
        List<Entry> taken;
        synchronized (this) {
            taken = List.copyOf(entries);
            entries.clear();
        }
        if (taken.isEmpty()) {
            return 0;
        }
        unplug.accept(taken.size());
        for (Entry e : taken) {
            synchronized (e) {
                issue.accept(e.rq);
                e.atIssue.forEach(Runnable::run);
                e.released = true;
            }
        }
        for (Entry e : taken) {
            synchronized (e) {
                e.atCompletion.forEach(Runnable::run);
            }
        }
        return taken.size();
    }
}
