package dev.ext4sim.ext4.remote;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.call.CallContext;
import dev.ext4sim.bus.call.CallServer;
import dev.ext4sim.bus.ext4.AioCalls;
import dev.ext4sim.bus.ext4.Ext4Calls;
import dev.ext4sim.bus.ext4.OrderedDataCall;
import dev.ext4sim.ext4.fs.DirtyInode;
import dev.ext4sim.ext4.fs.Ext4Mount;
import dev.ext4sim.ext4.fs.InodeRange;
import dev.ext4sim.ext4.fs.Stat;
import dev.ext4sim.ext4.port.WritebackControl;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import java.util.function.Supplier;

/**
 * The {@link Ext4Calls} and jbd2's {@link OrderedDataCall} served over the mounted filesystem: each handler checks the
 * device, runs the core in the caller's task, and takes the waits the core hands back (balance_dirty_pages' pause, the
 * journal queue's backpressure) outside every filesystem lock. The ordered-data call takes only the filesystem lock,
 * which no writer holds while it waits for jbd2, so T_FLUSH cannot deadlock against a writer waiting on a commit.
 *
 * <p>Each start of ext4-service is a new mount with an id of its own, handed out in every {@link Ext4Calls.Attr}. A
 * call on an open file names the mount the file was opened on; another mount refuses it with EIO, because the page
 * cache that file wrote to died with the instance that held it: an fsync through it must not return 0 over data that
 * is gone (the fd's errseq, in kernel terms, saw the crash).
 */
public final class Ext4Server {
    private final String dev;
    private final Supplier<Ext4Mount> mount;
    private final JournalPump pump;
    private final Ext4Metrics metrics;
    private final long mountId;

    public Ext4Server(String dev, Supplier<Ext4Mount> mount, JournalPump pump, Ext4Metrics metrics) {
        this(dev, mount, pump, metrics, newMountId(new SecureRandom()));
    }

    /** @param mountId this instance's mount, never 0 (0 names no mount in a call) */
    public Ext4Server(String dev, Supplier<Ext4Mount> mount, JournalPump pump, Ext4Metrics metrics, long mountId) {
        if (mountId == 0) {
            throw new IllegalArgumentException("a mount id is not 0");
        }
        this.dev = Objects.requireNonNull(dev);
        this.mount = Objects.requireNonNull(mount);
        this.pump = Objects.requireNonNull(pump);
        this.metrics = Objects.requireNonNull(metrics);
        this.mountId = mountId;
    }

    static long newMountId(Random random) {
        long id;
        do {
            id = random.nextLong();
        } while (id == 0);
        return id;
    }

    public long mountId() {
        return mountId;
    }

    public void register(CallServer server) {
        server.register(Ext4Calls.LOOKUP, (q, c) -> {
            Ext4Mount m = mounted(q.dev());
            return attr(m, c, m.lookup(c.trace(), ino(q.dir()), name(q.name())));
        }).register(Ext4Calls.CREATE, this::create)
                .register(Ext4Calls.MKDIR, (q, c) -> {
                    Ext4Mount m = mounted(q.dev());
                    return attr(m, c, m.mkdir(c.trace(), ino(q.dir()), name(q.name()), q.mode() & 07777));
                })
                .register(Ext4Calls.UNLINK, (q, c) -> {
                    mounted(q.dev()).unlink(c.trace(), ino(q.dir()), name(q.name()));
                    return new Ext4Calls.Done(0);
                })
                .register(Ext4Calls.GETATTR, (q, c) -> attr(mounted(q.dev(), q.mount()), c, ino(q.ino())))
                .register(Ext4Calls.TRUNCATE, (q, c) -> {
                    Ext4Mount m = mounted(q.dev(), q.mount());
                    if (q.size() < 0) {
                        throw new ErrnoException(Errno.EINVAL, "size " + q.size() + " is negative");
                    }
                    m.truncate(c.trace(), ino(q.ino()), q.size());
                    pump.awaitRoom();
                    return attr(m, c, ino(q.ino()));
                })
                .register(Ext4Calls.READ_ITER, (q, c) -> {
                    if (q.pos() < 0 || q.length() < 0) {
                        throw new ErrnoException(Errno.EINVAL, "read at " + q.pos() + " of " + q.length() + " bytes");
                    }
                    return mounted(q.dev(), q.mount()).read(c.trace(), ino(q.ino()), q.pos(), (int) Math.min(q.length(), 8 << 20));
                })
                .register(Ext4Calls.WRITE_ITER, this::write)
                .register(AioCalls.AIO_WRITE, this::aioWrite)
                .register(Ext4Calls.FSYNC, (q, c) -> {
                    long t = System.nanoTime();
                    mounted(q.dev(), q.mount()).fsync(c.trace(), ino(q.ino()), q.datasync());
                    metrics.fsync(System.nanoTime() - t);
                    return new Ext4Calls.Done(0);
                })
                .register(Ext4Calls.OPEN, (q, c) -> {
                    mounted(q.dev(), q.mount()).open(c.trace(), ino(q.ino()), q.write());
                    return new Ext4Calls.Done(0);
                })
                .register(Ext4Calls.RELEASE, (q, c) -> {
                    mounted(q.dev(), q.mount()).release(c.trace(), ino(q.ino()), q.write());
                    pump.awaitRoom();
                    return new Ext4Calls.Done(0);
                })
                .register(Ext4Calls.SYNC_FS, (q, c) -> {
                    mounted(q.dev()).sync(c.trace());
                    return new Ext4Calls.Done(0);
                })
                .register(Ext4Calls.WRITEPAGES, this::writepages)
                .register(Ext4Calls.FINISH_PLUG, (q, c) -> {
                    mounted(q.dev()).finishPlug(c.trace());
                    return new Ext4Calls.Done(0);
                })
                .register(Ext4Calls.DIRTY_INODES, (q, c) -> new Ext4Calls.DirtyInodes(dev,
                        mounted(q.dev()).dirtyInodes().stream().map(Ext4Server::dirty).toList()))
                .register(OrderedDataCall.CALL, (q, c) -> {
                    if (mount.get() == null && (q.dev() == null || q.dev().equals(dev))) {
                        // a commit of the previous ext4 instance's handles (jbd2 flushes them while this one mounts):
                        // its page cache died with it, as in a crash, so there is nothing to write
                        return new OrderedDataCall.Reply(true);
                    }
                    mounted(q.dev()).submitInodeData(c.trace(), q.tid(),
                            q.inodes().stream().map(r -> new InodeRange(r.ino(), r.start(), r.end())).toList());
                    return new OrderedDataCall.Reply(true);
                });
    }

    private Ext4Calls.Attr create(Ext4Calls.Create q, CallContext c) {
        Ext4Mount m = mounted(q.dev());
        int dir = ino(q.dir());
        String name = name(q.name());
        // lookup_open: ext4_lookup runs (on a dentry miss) before ext4_create, O_EXCL or not
        try {
            Ext4Calls.Attr existing = attr(m, c, m.lookup(c.trace(), dir, name));
            if (q.excl()) {
                throw new ErrnoException(Errno.EEXIST, "'" + name + "' exists in directory inode " + dir + " (O_EXCL)");
            }
            return existing;
        } catch (ErrnoException e) {
            if (e.errno() != Errno.ENOENT) {
                throw e;
            }
        }
        try {
            return attr(m, c, m.create(c.trace(), dir, name, q.mode() & 07777));
        } catch (ErrnoException e) {
            if (e.errno() == Errno.EEXIST && !q.excl()) {
                return attr(m, c, m.lookup(c.trace(), dir, name)); // another creator won the race
            }
            throw e;
        } finally {
            pump.awaitRoom();
        }
    }

    private Ext4Calls.WriteResult write(Ext4Calls.WriteIter q, CallContext c) throws InterruptedException {
        long t = System.nanoTime();
        Ext4Mount m = mounted(q.dev(), q.mount());
        if (q.pos() < 0) {
            throw new ErrnoException(Errno.EINVAL, "write at negative position " + q.pos());
        }
        Ext4Mount.WriteResult r = m.write(c.trace(), ino(q.ino()), q.pos(), q.data(),
                new Ext4Mount.WriteFlags(q.append(), q.sync(), q.dsync(), q.direct()));
        long size = m.getattr(c.trace(), ino(q.ino())).size();
        metrics.writeIter(System.nanoTime() - t);
        pump.awaitRoom();
        Duration pause = r.pause();
        if (pause.isPositive()) {
            Thread.sleep(pause); // balance_dirty_pages' io_schedule_timeout, outside every lock
        }
        return new Ext4Calls.WriteResult(r.written(), r.pos(), size);
    }

    /** aio_write: the writer's part of an io_submit iocb; a queued one completes through Ext4Mount#kiComplete. */
    private AioCalls.Submitted aioWrite(AioCalls.AioWrite q, CallContext c) throws InterruptedException {
        Ext4Mount m = mounted(q.dev(), q.mount());
        if (q.pos() < 0) {
            throw new ErrnoException(Errno.EINVAL, "write at negative position " + q.pos());
        }
        Ext4Mount.WriteResult r = m.writeAio(c.trace(), ino(q.ino()), q.pos(), q.data(),
                new Ext4Mount.WriteFlags(q.append(), q.sync(), q.dsync(), q.direct()), q.id());
        pump.awaitRoom();
        if (r.pause().isPositive()) {
            Thread.sleep(r.pause()); // a buffered iocb's balance_dirty_pages, outside every lock
        }
        return new AioCalls.Submitted(r.written(), r.pos());
    }

    private Ext4Calls.WritepagesResult writepages(Ext4Calls.Writepages q, CallContext c) {
        Ext4Mount m = mounted(q.dev());
        int ino = ino(q.ino());
        WritebackControl wbc = new WritebackControl(q.syncMode(), q.nrToWrite(), q.rangeStart(), q.rangeEnd(),
                q.rangeCyclic(), q.forKupdate(), q.forBackground(), q.forSync(), q.reason(), q.plugged());
        Ext4Mount.WrittenBack w = m.writebackSingleInode(c.trace(), ino, wbc);
        pump.awaitRoom();
        return new Ext4Calls.WritepagesResult(w.pages(), m.hasDirtyPages(ino), m.writebackIndex(ino), w.inodeDirty());
    }

    private Ext4Mount mounted(String d) {
        if (d != null && !d.isEmpty() && !d.equals(dev)) {
            throw new ErrnoException(Errno.ENODEV, "ext4-service mounts " + dev + ", not " + d);
        }
        Ext4Mount m = mount.get();
        if (m == null) {
            throw new ErrnoException(Errno.EAGAIN, dev + " is not mounted yet (ext4-service waits for blockdev and jbd2)");
        }
        return m;
    }

    /** The mount, for a call on a file opened on {@code fileMount} (0: no open file). */
    private Ext4Mount mounted(String d, long fileMount) {
        Ext4Mount m = mounted(d);
        if (fileMount != 0 && fileMount != mountId) {
            throw new ErrnoException(Errno.EIO, "the file was opened on an earlier mount of " + dev + " (mount "
                    + Long.toHexString(fileMount) + ", now " + Long.toHexString(mountId) + "): ext4-service restarted"
                    + " since, and what was written through this fd and not yet fsynced may be lost; close it and"
                    + " open the file again");
        }
        return m;
    }

    private static int ino(long ino) {
        if (ino < 1 || ino > Integer.MAX_VALUE) {
            throw new ErrnoException(Errno.EINVAL, "inode " + ino + " is out of range");
        }
        return (int) ino;
    }

    private static String name(String name) {
        if (name == null || name.isEmpty() || name.contains("/") || name.equals(".") || name.equals("..")) {
            throw new ErrnoException(Errno.EINVAL, "'" + name + "' is not a name in a directory");
        }
        if (name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 255) {
            throw new ErrnoException(Errno.ENAMETOOLONG, "a name is at most 255 bytes");
        }
        return name;
    }

    private Ext4Calls.Attr attr(Ext4Mount m, CallContext c, int ino) {
        Stat s = m.getattr(c.trace(), ino);
        return new Ext4Calls.Attr(s.ino(), s.mode(), s.nlink(), s.size(), s.blocks(), s.atime().toEpochNanos(),
                s.mtime().toEpochNanos(), s.ctime().toEpochNanos(), mountId);
    }

    private static Ext4Calls.DirtyInode dirty(DirtyInode d) {
        return new Ext4Calls.DirtyInode(d.ino(), d.state(), d.dirtiedWhen(), d.dirtyPages());
    }

}
