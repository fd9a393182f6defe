package dev.ext4sim.launcher.chaos;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The seeded workload of a power-cut sweep: one process that makes two directories and up to six files in them, and
 * appends, overwrites, truncates and makes files durable (fsync, fdatasync, O_SYNC), one call at a time. After each
 * operation it puts a mark ("op N") in the device's write log and keeps what a crash from then on must leave of every
 * file, so that a crash state rebuilt from the log can be held to the workload as it was at that moment.
 */
final class PowerCutWorkload {
    /** Puts a mark in the device's write log once an operation returned. */
    interface Marks {
        void mark(String text) throws IOException;
    }

    /**
     * Operation {@code n}: what it was, and the byte range of {@code path} it changes while in flight ({@code length}
     * Long.MAX_VALUE: a truncate to {@code from}; 0: nothing).
     */
    record Step(int n, String what, String path, long from, long length) {
    }

    private static final int FILES = 6;
    private static final String[] DURABILITY = {"fsync", "fdatasync", "osync"};

    private final Gateway gateway;
    private final Marks marks;
    private final Random random;
    private final String root;
    private final Map<String, Integer> fds = new LinkedHashMap<>();
    private final Map<String, String> durability = new HashMap<>();
    private final Map<String, FileLedger> ledgers = new LinkedHashMap<>();
    private final List<Step> steps = new ArrayList<>();
    /** After operation n: what each file must hold after a crash. */
    private final List<Map<String, Durable>> durableAfter = new ArrayList<>();
    private int acknowledged;

    PowerCutWorkload(Gateway gateway, Marks marks, long seed, String root) {
        this.gateway = gateway;
        this.marks = marks;
        this.random = new Random(seed);
        this.root = root;
    }

    /** Runs {@code ops} operations; throws, naming the call, when one fails (the stack is not healthy then). */
    void run(int ops, java.util.function.IntConsumer progress) throws IOException {
        for (int n = 0; n < ops; n++) {
            Step step = next(n);
            steps.add(step);
            Map<String, Durable> after = new LinkedHashMap<>(n == 0 ? Map.of() : durableAfter.get(n - 1));
            FileLedger touched = ledgers.get(step.path());
            if (touched != null) {
                after.put(step.path(), touched.durable());
            }
            durableAfter.add(after);
            marks.mark("op " + n);
            progress.accept(n + 1);
        }
    }

    /** Chooses and makes operation {@code n}. */
    private Step next(int n) {
        if (n < 3) {
            String dir = n == 0 ? root : root + "/d" + (n - 1);
            expect(gateway.mkdir(dir), "mkdir " + dir);
            return new Step(n, "mkdir", dir, 0, 0);
        }
        int op = random.nextInt(100);
        if (ledgers.isEmpty() || (op < 8 && ledgers.size() < FILES)) {
            return create(n);
        }
        List<String> paths = new ArrayList<>(ledgers.keySet());
        String path = paths.get(random.nextInt(paths.size()));
        FileLedger ledger = ledgers.get(path);
        int fd = fds.get(path);
        boolean osync = durability.get(path).equals("osync");
        long size = ledger.size();
        if (op < 50 || size == 0) {
            return write(n, path, fd, size, bytes(1 + random.nextInt(12 * 1024)), osync);
        }
        if (op < 70) {
            long at = random.nextLong(size);
            return write(n, path, fd, at, bytes((int) Math.min(size - at, 1 + random.nextInt(8 * 1024))), osync);
        }
        if (op < 78 && !osync) {
            long length = random.nextBoolean() ? random.nextLong(size + 1) : size + random.nextInt(8 * 1024);
            expect(gateway.ftruncate(fd, length), "ftruncate " + path);
            ledger.truncated(length);
            return new Step(n, "ftruncate", path, Math.min(length, size), Long.MAX_VALUE);
        }
        if (osync) {
            return write(n, path, fd, size, bytes(1 + random.nextInt(4 * 1024)), true);
        }
        String call = durability.get(path);
        expect(gateway.post(fd, call), call + " " + path);
        ledger.synced();
        acknowledged++;
        return new Step(n, call, path, 0, 0);
    }

    private Step create(int n) {
        int i = ledgers.size();
        String path = root + "/d" + (i % 2) + "/f" + i;
        String how = DURABILITY[random.nextInt(DURABILITY.length)];
        List<String> flags = new ArrayList<>(List.of("O_CREAT", "O_RDWR", "O_TRUNC"));
        if (how.equals("osync")) {
            flags.add("O_SYNC");
        }
        Gateway.Answer a = expect(gateway.open(path, flags), "open " + path);
        fds.put(path, (int) a.number("fd"));
        durability.put(path, how);
        ledgers.put(path, new FileLedger());
        return new Step(n, "creat (" + how + ")", path, 0, 0);
    }

    private Step write(int n, String path, int fd, long offset, byte[] data, boolean osync) {
        expect(gateway.pwrite(fd, offset, data), "pwrite " + path);
        FileLedger ledger = ledgers.get(path);
        ledger.wrote(offset, data);
        if (osync) {
            ledger.synced(); // an O_SYNC write returns once the file is durable
            acknowledged++;
        }
        return new Step(n, osync ? "pwrite O_SYNC" : "pwrite", path, offset, data.length);
    }

    private static Gateway.Answer expect(Gateway.Answer a, String what) {
        if (!a.ok()) {
            throw new IllegalStateException(what + " failed with " + a.errno() + " on a stack without faults: "
                    + a.body() + "; see ./ext4sim status and the services' logs");
        }
        return a;
    }

    private byte[] bytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    /**
     * What a crash must leave of each file once operation {@code done} has returned ({@code -1}: none has) and the
     * next one may be in flight.
     */
    Map<String, Durable> durableAt(int done) {
        Map<String, Durable> d = new LinkedHashMap<>(done < 0 ? Map.of() : durableAfter.get(done));
        if (done + 1 < steps.size()) {
            Step next = steps.get(done + 1);
            Durable f = d.get(next.path());
            if (f != null && next.length() > 0) {
                d.put(next.path(), f.inFlight(next.from(), next.length()));
            }
        }
        return d;
    }

    List<Step> steps() {
        return List.copyOf(steps);
    }

    int acknowledged() {
        return acknowledged;
    }

    /** Every file and its model, for the clean check at the end. */
    Map<String, FileLedger> ledgers() {
        return ledgers;
    }

    void closeAll() {
        fds.values().forEach(fd -> gateway.post(fd, "close"));
    }
}
