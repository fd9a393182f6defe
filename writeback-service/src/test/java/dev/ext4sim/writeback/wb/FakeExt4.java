package dev.ext4sim.writeback.wb;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.trace.TraceContext;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * ext4 as the flusher sees it: per inode a count of dirty pages. writepages writes up to nr_to_write of them and
 * sends the page-state notifications ext4 would (set_page_writeback, end_page_writeback); it can be told to fail.
 */
final class FakeExt4 implements Ext4Port {
    record Call(long ino, WritebackControl wbc, String comm, int pid, long written) {
    }

    final Map<Long, Long> dirtyPages = new TreeMap<>();
    final Map<Long, Long> index = new TreeMap<>();
    final List<Call> calls = new ArrayList<>();
    final Deque<Errno> failures = new ArrayDeque<>();
    /** Throws a plain RuntimeException once (a bug or a broken adapter), not an errno. */
    boolean crashNext;
    final List<DirtyInode> dirtyAtRestart = new ArrayList<>();
    Writeback wb;
    int dev;
    /** The I_DIRTY_SYNC/DATASYNC bits writepages answers with, as ext4's quota claim sets them during the call. */
    int inodeDirty;
    /** Runs inside writepages, before the pages are written: to look at the lists while the inode has I_SYNC. */
    Consumer<Long> during = ino -> {
    };

    synchronized void dirty(long ino, long pages) {
        dirtyPages.merge(ino, pages, Long::sum);
    }

    synchronized long dirty(long ino) {
        return dirtyPages.getOrDefault(ino, 0L);
    }

    synchronized void failNext(Errno errno) {
        failures.add(errno);
    }

    /** The devs of finishPlug calls, with the number of writepages calls made before each. */
    final List<String> finishedPlugs = new java.util.concurrent.CopyOnWriteArrayList<>();

    @Override
    public synchronized void finishPlug(int dev, TraceContext ctx) {
        finishedPlugs.add(dev + " after " + writtenInos().size() + " by " + ctx.task().comm());
    }

    synchronized List<Long> writtenInos() {
        return calls.stream().filter(c -> c.written() >= 0).map(Call::ino).toList();
    }

    @Override
    public Written writepages(int dev, long ino, WritebackControl wbc, TraceContext ctx) {
        during.accept(ino);
        synchronized (this) {
            if (crashNext) {
                crashNext = false;
                calls.add(new Call(ino, wbc, ctx.task().comm(), ctx.task().pid(), -1));
                throw new IllegalStateException("adapter bug");
            }
            Errno fail = failures.poll();
            if (fail != null) {
                calls.add(new Call(ino, wbc, ctx.task().comm(), ctx.task().pid(), -1));
                throw new ErrnoException(fail, "ext4-service did not answer writepages");
            }
            long have = dirtyPages.getOrDefault(ino, 0L);
            long n = Math.min(have, wbc.nrToWrite());
            dirtyPages.put(ino, have - n);
            index.merge(ino, n, Long::sum);
            calls.add(new Call(ino, wbc, ctx.task().comm(), ctx.task().pid(), n));
            if (n > 0) {
                wb.set_page_writeback(dev, n);
                wb.end_page_writeback(dev, n);
            }
            return new Written(n, have - n > 0, index.get(ino), inodeDirty);
        }
    }

    @Override
    public synchronized List<DirtyInode> dirtyInodes(int dev) {
        return List.copyOf(dirtyAtRestart);
    }
}
