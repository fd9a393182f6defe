package dev.ext4sim.launcher.chaos;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * One process of the chaos workload: in its own directory, four files it appends to, overwrites and truncates, made
 * durable by fsync, by fdatasync, by O_SYNC writes, and by O_DIRECT|O_DSYNC writes of whole 4 KiB blocks (the direct
 * I/O path: unwritten extents inside the file, the orphan list past its end), half of those inside the file submitted
 * with io_submit and acknowledged by their io_event. A write or truncate that fails is tried again with the same
 * bytes until it succeeds, so that the ledger knows what the file holds; a durability call that fails promises
 * nothing. Every answer's errno is counted, and the longest call kept.
 *
 * <p>An fd that answers EIO or EBADF may be one a restarted ext4-service (or vfs-service) no longer honours: the client
 * opens the file again and, as the only writer of its files, reads it back first, holds it to the ledger and takes
 * what it holds as the model, so that nothing written before the crash and lost with a page cache is later taken for
 * acknowledged by a successful fsync on the new fd.
 */
final class ChaosClient implements Runnable {
    /** O_DIRECT's alignment: the device's logical block. */
    static final int DIRECT_BLOCK = 4096;
    /**
     * The longest wait for an iocb's event (io_getevents' most): a dead ext4-service never sends it. A live one sends
     * it within a commit or two; one that comes later leaves the write unacknowledged, which the retry then writes again.
     */
    static final Duration AIO_WAIT = Duration.ofSeconds(10);

    /** A file of the client: its path, its fd (replaced when opened again), how it is made durable, and its ledger. */
    static final class File {
        private final String path;
        private final List<String> flags;
        private final String durability;
        private final FileLedger ledger;
        private volatile int fd;

        File(String path, List<String> flags, int fd, String durability, FileLedger ledger) {
            this.path = path;
            this.flags = List.copyOf(flags);
            this.fd = fd;
            this.durability = durability;
            this.ledger = ledger;
        }

        String path() {
            return path;
        }

        int fd() {
            return fd;
        }

        String durability() {
            return durability;
        }

        FileLedger ledger() {
            return ledger;
        }
    }

    private final Gateway gateway;
    private final Random random;
    private final String dir;
    private final Map<String, File> files = new LinkedHashMap<>();
    private final ChaosControl control;
    final Map<String, Long> errnos = new ConcurrentHashMap<>();
    final AtomicLong longestCallMillis = new AtomicLong();
    final AtomicLong durableCalls = new AtomicLong();
    final AtomicLong operations = new AtomicLong();
    /** Acknowledged bytes found lost when a file was read back to be opened again. */
    final AtomicLong lostAtReopen = new AtomicLong();
    final AtomicLong reopens = new AtomicLong();

    private final java.util.function.Consumer<String> say;

    ChaosClient(Gateway gateway, long seed, String dir, ChaosControl control, java.util.function.Consumer<String> say) {
        this.say = say;
        this.gateway = gateway;
        this.random = new Random(seed);
        this.dir = dir;
        this.control = control;
    }

    /** mkdir and the three opens, retried while the stack recovers; false when they never worked. */
    boolean setUp() {
        Gateway.Answer mk = until(() -> gateway.mkdir(dir), "EEXIST");
        if (!mk.ok() && !"EEXIST".equals(mk.errno())) {
            return false;
        }
        for (String[] f : List.of(new String[]{"fsync", "O_RDWR"}, new String[]{"fdatasync", "O_RDWR"},
                new String[]{"osync", "O_RDWR,O_SYNC"}, new String[]{"direct", "O_RDWR,O_DIRECT,O_DSYNC"})) {
            String path = dir + "/" + f[0];
            List<String> flags = new ArrayList<>(List.of("O_CREAT"));
            flags.addAll(List.of(f[1].split(",")));
            List<String> first = new ArrayList<>(flags);
            first.add("O_TRUNC");
            Gateway.Answer open = until(() -> gateway.open(path, first), null);
            if (!open.ok()) {
                return false;
            }
            files.put(f[0], new File(path, flags, (int) open.number("fd"), f[0], new FileLedger()));
        }
        return true;
    }

    List<File> files() {
        return List.copyOf(files.values());
    }

    @Override
    public void run() {
        List<File> all = files();
        while (control.await()) {
            File f = all.get(random.nextInt(all.size()));
            int op = random.nextInt(100);
            long size = f.ledger().size();
            if (f.durability().equals("direct")) {
                directWrite(f, op, size);
            } else if (op < 55 || size == 0) {
                write(f, size, bytes(1 + random.nextInt(16 * 1024)));
            } else if (op < 80) {
                long at = random.nextLong(size);
                write(f, at, bytes((int) Math.min(size - at, 1 + random.nextInt(8 * 1024))));
            } else if (op < 88 && !f.durability().equals("osync")) {
                long length = random.nextBoolean() ? random.nextLong(size + 1) : size + random.nextInt(8 * 1024);
                retry(f, () -> gateway.ftruncate(f.fd(), length), () -> f.ledger().mayHaveHappened(Math.min(length, size),
                        Long.MAX_VALUE), () -> f.ledger().truncated(length));
            } else if (!f.durability().equals("osync")) {
                Gateway.Answer a = timed(() -> gateway.post(f.fd(), f.durability()));
                if (a.ok()) {
                    f.ledger().synced();
                    durableCalls.incrementAndGet();
                } else {
                    count(a.errno());
                    if (staleFd(a)) {
                        reopen(f);
                    }
                }
            }
            operations.incrementAndGet();
            control.done();
        }
    }

    /**
     * An O_DIRECT write of 1 to 4 blocks at a block boundary: past the end (the file only ever holds whole blocks),
     * some of them after a hole of 1 or 2 blocks left by skipping past the end, or over blocks it has, half of those
     * from a block that reads as zeros (a hole, or an extent a crash left unwritten) where there is one. Half of those
     * that end inside the file go through io_submit: 4.x queues them, and the dio/sda1 kworker converts their unwritten
     * extents and commits them (O_DSYNC) before their event; one that ends past the file would run synchronously anyway.
     */
    private void directWrite(File f, int op, long size) {
        long blocks = size / DIRECT_BLOCK;
        List<Long> zeros = op >= 55 && op < 78 ? f.ledger().blocksOfZeros() : List.of();
        long at = op < 55 || blocks == 0 ? (blocks + (op < 25 ? 1 + random.nextInt(2) : 0)) * DIRECT_BLOCK
                : !zeros.isEmpty() ? zeros.get(random.nextInt(zeros.size()))
                : random.nextLong(blocks) * DIRECT_BLOCK;
        byte[] data = bytes((1 + random.nextInt(4)) * DIRECT_BLOCK);
        boolean aio = at + data.length <= size && random.nextBoolean();
        retry(f, aio ? () -> aioWrite(f, at, data) : () -> gateway.pwrite(f.fd(), at, data),
                () -> f.ledger().directWriteMayHaveHappened(at, data), () -> wrote(f, at, data));
    }

    /**
     * The write through io_submit. On EAGAIN, pwrite: when that goes through, the io context was full of iocbs a dead
     * ext4-service never completes (counted); when it is EAGAIN too, ext4 is not mounted yet (counted once, by retry).
     */
    private Gateway.Answer aioWrite(File f, long offset, byte[] data) {
        Gateway.Answer a = submitAndReap(gateway, f.fd(), offset, data, AIO_WAIT);
        if (!"EAGAIN".equals(a.errno())) {
            return a;
        }
        Gateway.Answer sync = gateway.pwrite(f.fd(), offset, data);
        if (sync.ok()) {
            count(a.errno());
        }
        return sync;
    }

    /**
     * io_submit, then io_getevents until the iocb's own event, which succeeds only with res the whole length. Events
     * of iocbs given up on before are reaped and dropped; none within {@code wait} (ext4-service died with the iocb,
     * or vfs-service with the io context) fails it.
     */
    static Gateway.Answer submitAndReap(Gateway gateway, int fd, long offset, byte[] data, Duration wait) {
        Gateway.Answer submitted = gateway.ioSubmit(fd, offset, data);
        if (!submitted.ok()) {
            return submitted;
        }
        long id = submitted.number("id");
        long deadline = System.nanoTime() + wait.toNanos();
        for (long left = wait.toNanos(); left > 0; left = deadline - System.nanoTime()) {
            Gateway.Answer reaped = gateway.ioGetevents(16, Duration.ofMillis(Math.max(1, left / 1_000_000)));
            if (!reaped.ok()) {
                return reaped;
            }
            for (Gateway.Event e : Gateway.events(reaped)) {
                if (e.id() == id) {
                    return e.res() == data.length ? reaped
                            : new Gateway.Answer(false, "io_event res " + e.res(), reaped.body(), reaped.bytes());
                }
            }
        }
        return new Gateway.Answer(false, "no io_event in " + wait.toSeconds() + " s", "", new byte[0]);
    }

    private void write(File f, long offset, byte[] data) {
        retry(f, () -> gateway.pwrite(f.fd(), offset, data), () -> f.ledger().mayHaveHappened(offset, data.length),
                () -> wrote(f, offset, data));
    }

    private void wrote(File f, long offset, byte[] data) {
        f.ledger().wrote(offset, data);
        if (f.durability().equals("osync") || f.durability().equals("direct")) {
            f.ledger().synced(); // O_SYNC, O_DSYNC: the write (or its io_event) comes once the file's data is durable
            durableCalls.incrementAndGet();
        }
    }

    /**
     * The call until it succeeds (then {@code applied}). Each failed attempt may have happened all the same
     * ({@code maybe}); stopped before a success, the ledger also learns that nobody will know.
     */
    private void retry(File f, Supplier<Gateway.Answer> call, Runnable maybe, Runnable applied) {
        while (true) {
            Gateway.Answer a = timed(call);
            if (a.ok()) {
                applied.run();
                return;
            }
            count(a.errno());
            maybe.run();
            if (!control.keepTrying() || (staleFd(a) && !reopenAfterPause(f))) {
                f.ledger().unacknowledgedMayBeLost();
                return;
            }
            if (!staleFd(a)) {
                control.pause(Duration.ofMillis(200));
            }
        }
    }

    private boolean reopenAfterPause(File f) {
        control.pause(Duration.ofMillis(200));
        return reopen(f);
    }

    /** EIO from an fd of an earlier mount of ext4-service, EBADF from a restarted vfs-service. */
    private static boolean staleFd(Gateway.Answer a) {
        return "EIO".equals(a.errno()) || "EBADF".equals(a.errno());
    }

    /**
     * Opens the file again (O_CREAT without O_TRUNC: its creation may be what was lost), reads it back and takes it as
     * the ledger's model; false when the stack did not let it before the run stopped.
     */
    private boolean reopen(File f) {
        while (control.keepTrying()) {
            Gateway.Answer open = timed(() -> gateway.open(f.path, f.flags));
            byte[] found = open.ok() ? gateway.readFile(f.path) : null;
            if (found != null) {
                int old = f.fd;
                f.fd = (int) open.number("fd");
                gateway.post(old, "close"); // the old fd is gone from vfs whatever ext4 answers
                String where = f.ledger.describeLoss(found);
                long lost = f.ledger.rebase(found);
                if (lost > 0) {
                    say.accept("  " + f.path + " (" + f.durability + "), read back to be opened again: " + lost
                            + " acknowledged bytes lost; " + where);
                }
                lostAtReopen.addAndGet(lost);
                reopens.incrementAndGet();
                return true;
            }
            if (open.ok()) {
                gateway.post((int) open.number("fd"), "close");
            } else {
                count(open.errno());
            }
            control.pause(Duration.ofMillis(500));
        }
        return false;
    }

    private Gateway.Answer until(Supplier<Gateway.Answer> call, String acceptable) {
        Gateway.Answer a = call.get();
        for (int i = 0; i < 120 && !a.ok() && !Objects.equals(acceptable, a.errno()); i++) {
            control.pause(Duration.ofMillis(500));
            a = call.get();
        }
        return a;
    }

    private Gateway.Answer timed(Supplier<Gateway.Answer> call) {
        long began = System.nanoTime();
        Gateway.Answer a = call.get();
        longestCallMillis.accumulateAndGet((System.nanoTime() - began) / 1_000_000, Math::max);
        return a;
    }

    private void count(String errno) {
        errnos.merge(errno, 1L, Long::sum);
    }

    private byte[] bytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }
}
