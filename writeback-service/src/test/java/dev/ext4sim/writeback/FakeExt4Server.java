package dev.ext4sim.writeback;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.Time;
import dev.ext4sim.bus.call.CallServer;
import dev.ext4sim.bus.ext4.Ext4Calls;
import dev.ext4sim.bus.testing.InMemoryTransport;
import dev.ext4sim.bus.trace.Task;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * ext4-service as writeback calls it over the bus: per inode a count of dirty pages; ext4_writepages writes up to
 * nr_to_write of them, or fails with a queued errno, or waits at a gate; ext4_dirty_inodes lists what is dirty (or
 * fails while "down").
 */
final class FakeExt4Server {
    record Call(Ext4Calls.Writepages request, Task task, String traceId, long written) {
    }

    final Map<Long, Long> dirtyPages = new TreeMap<>();
    final List<Call> calls = new ArrayList<>();
    final Deque<Errno> failures = new ArrayDeque<>();
    final List<Ext4Calls.DirtyInode> dirtyInodes = new ArrayList<>();
    Errno dirtyInodesFails;
    int dirtyInodesCalls;
    /** Set: writepages waits for it (after being counted in {@link #entered}). */
    volatile CountDownLatch gate;
    final CountDownLatch entered = new CountDownLatch(1);

    FakeExt4Server(InMemoryTransport transport, Time time) {
        CallServer server = new CallServer(Ext4Calls.SERVICE, transport, time, Runnable::run);
        server.register(Ext4Calls.WRITEPAGES, (q, ctx) -> writepages(q, ctx.trace().task(), ctx.trace().traceId()))
                .register(Ext4Calls.DIRTY_INODES, (q, ctx) -> dirtyInodes(q));
        transport.routeCalls(Ext4Calls.SERVICE, server);
    }

    synchronized void dirty(long ino, long pages) {
        dirtyPages.merge(ino, pages, Long::sum);
    }

    synchronized List<Call> calls() {
        return List.copyOf(calls);
    }

    private Ext4Calls.WritepagesResult writepages(Ext4Calls.Writepages q, Task task, String traceId)
            throws InterruptedException {
        entered.countDown();
        CountDownLatch g = gate;
        if (g != null && !g.await(10, TimeUnit.SECONDS)) {
            throw new ErrnoException(Errno.ETIMEDOUT, "test gate never opened");
        }
        synchronized (this) {
            Errno fail = failures.poll();
            if (fail != null) {
                calls.add(new Call(q, task, traceId, -1));
                throw new ErrnoException(fail, "ext4-service timed out in ext4_writepages");
            }
            long have = dirtyPages.getOrDefault(q.ino(), 0L);
            long n = Math.min(have, q.nrToWrite());
            dirtyPages.put(q.ino(), have - n);
            calls.add(new Call(q, task, traceId, n));
            return new Ext4Calls.WritepagesResult(n, have - n > 0, n);
        }
    }

    private synchronized Ext4Calls.DirtyInodes dirtyInodes(Ext4Calls.DirtyInodesQuery q) {
        dirtyInodesCalls++;
        if (dirtyInodesFails != null) {
            throw new ErrnoException(dirtyInodesFails, "ext4-service is not mounted yet");
        }
        return new Ext4Calls.DirtyInodes(q.dev(), dirtyInodes);
    }
}
