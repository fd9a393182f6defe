package dev.ext4sim.ext4.fs;

import dev.ext4sim.bus.trace.Task;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.ext4.port.JournalHandle;
import dev.ext4sim.ext4.port.JournalPort;
import dev.ext4sim.ext4.port.JournalTid;
import dev.ext4sim.ondisk.BlockDevice;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A journal that keeps the running transaction in memory and, at commit, does what jbd2 guarantees in one step:
 * ordered data first (through ext4's submitInodeData), then the metadata written home as a checkpoint would. It
 * checks the handle protocol ext4 must follow: write access before dirtying, never more buffers than credits.
 */
final class FakeJournal implements JournalPort {
    static final TraceContext JBD2 = TraceContext.of(new Task("jbd2/sda1-8", 301));

    record Started(String comm, int type, int credits, int lineNo) {
    }

    private final BlockDevice home;
    private Ext4Mount ordered;
    private int runningTid = 1;
    private int committed;
    private final Map<Long, byte[]> buffers = new LinkedHashMap<>();
    private final Set<Long> revoked = new HashSet<>();
    /** Every jbd2_journal_forget since the mount. */
    final List<Long> forgotten = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final List<InodeRange> ranges = new ArrayList<>();
    private final List<Started> started = new ArrayList<>();
    /** Every jbd2_journal_inode_ranged_write since the mount (data=ordered's inode list), committed or not. */
    final List<InodeRange> registered = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final List<Integer> commits = new ArrayList<>();
    /** The home blocks each commit logged, in commit order. */
    private final List<List<Long>> logged = new ArrayList<>();
    private final java.util.concurrent.locks.ReentrantLock commitLock = new java.util.concurrent.locks.ReentrantLock();
    private boolean locked;
    private int openHandles;
    private int handlesInRunning;
    int loads;

    FakeJournal(BlockDevice home) {
        this.home = home;
    }

    void ordered(Ext4Mount ext4) {
        this.ordered = ext4;
    }

    @Override
    public synchronized void load(TraceContext ctx) {
        loads++;
    }

    @Override
    public synchronized JournalHandle start(TraceContext owner, int type, int credits, int lineNo) {
        if (credits <= 0) {
            throw new AssertionError("a handle with " + credits + " credits");
        }
        while (locked) {
            waitUninterruptibly();
        }
        started.add(new Started(owner.task().comm(), type, credits, lineNo));
        openHandles++;
        handlesInRunning++;
        int tid = runningTid;
        return new JournalHandle() {
            private final Set<Long> access = new LinkedHashSet<>();
            private final Set<Long> dirtied = new HashSet<>();
            private boolean stopped;

            @Override
            public void getWriteAccess(long block) {
                check();
                access.add(block);
            }

            @Override
            public void dirtyMetadata(long block, byte[] contents) {
                check();
                if (!access.contains(block)) {
                    throw new AssertionError("dirty_metadata of block " + block + " without write access");
                }
                if (contents.length != 4096) {
                    throw new AssertionError("block " + block + " of " + contents.length + " bytes");
                }
                synchronized (FakeJournal.this) {
                    if (dirtied.add(block) && dirtied.size() > credits) {
                        throw new AssertionError("handle type " + type + " dirtied " + dirtied.size() + " blocks with " + credits + " credits: " + dirtied);
                    }
                    buffers.put(block, contents.clone());
                    revoked.remove(block);
                }
            }

            @Override
            public void revoke(long block) {
                check();
                synchronized (FakeJournal.this) {
                    buffers.remove(block);
                    revoked.add(block);
                }
            }

            @Override
            public void forget(long block) {
                check();
                synchronized (FakeJournal.this) {
                    buffers.remove(block);
                    forgotten.add(block);
                }
            }

            @Override
            public void inodeRangedWrite(long ino, long start, long length) {
                check();
                synchronized (FakeJournal.this) {
                    ranges.add(new InodeRange(ino, start, start + length - 1));
                    registered.add(new InodeRange(ino, start, start + length - 1));
                }
            }

            @Override
            public JournalTid stop() {
                check();
                stopped = true;
                synchronized (FakeJournal.this) {
                    openHandles--;
                    FakeJournal.this.notifyAll();
                }
                return JournalTid.of(tid);
            }

            private void check() {
                if (stopped) {
                    throw new AssertionError("handle used after stop");
                }
            }
        };
    }

    /**
     * kjournald2's commit of the running transaction: lock it (new handles wait, open ones are waited for), switch to
     * a new running transaction, then ordered data through ext4 and the metadata home. False if nothing ran.
     */
    boolean commit() {
        commitLock.lock();
        try {
            List<InodeRange> data;
            Map<Long, byte[]> blocks;
            int tid;
            synchronized (this) {
                if (handlesInRunning == 0) {
                    return false;
                }
                locked = true;
                while (openHandles != 0) {
                    waitUninterruptibly();
                }
                data = List.copyOf(ranges);
                blocks = new LinkedHashMap<>(buffers);
                tid = runningTid++;
                buffers.clear();
                revoked.clear();
                ranges.clear();
                handlesInRunning = 0;
                locked = false;
                notifyAll();
            }
            if (ordered != null && !data.isEmpty()) {
                ordered.submitInodeData(JBD2, tid, data);
            }
            synchronized (this) {
                blocks.forEach(home::write);
                home.flush();
                committed = tid;
                commits.add(tid);
                logged.add(List.copyOf(blocks.keySet()));
            }
            if (ordered != null) {
                ordered.journalCommitCallback(tid);
            }
            return true;
        } finally {
            commitLock.unlock();
        }
    }

    private void waitUninterruptibly() {
        try {
            wait();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** What each fsync said of data=ordered's work when it asked for its commit, in order. */
    final java.util.List<Boolean> orderedDataWritten = new java.util.concurrent.CopyOnWriteArrayList<>();

    @Override
    public boolean completeTransaction(TraceContext ctx, JournalTid tid, boolean orderedDataWritten) {
        this.orderedDataWritten.add(orderedDataWritten);
        int t = tid.await();
        commitLock.lock();
        try {
            synchronized (this) {
                if (t <= committed) {
                    return false;
                }
            }
            return commit();
        } finally {
            commitLock.unlock();
        }
    }

    @Override
    public void forceCommit(TraceContext ctx) {
        commit();
    }

    @Override
    public void flush(TraceContext ctx) {
        commit();
    }

    synchronized List<Started> started() {
        return List.copyOf(started);
    }

    synchronized List<Integer> commits() {
        return List.copyOf(commits);
    }

    synchronized List<List<Long>> logged() {
        return List.copyOf(logged);
    }

    synchronized int pendingBuffers() {
        return buffers.size();
    }
}
