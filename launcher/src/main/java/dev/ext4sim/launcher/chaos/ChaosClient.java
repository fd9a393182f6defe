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
 * One process of the chaos workload: in its own directory, three files it appends to, overwrites and truncates, made
 * durable by fsync, by fdatasync, and by O_SYNC writes. A write or truncate that fails is tried again with the same
 * bytes until it succeeds, so that the ledger knows what the file holds; a durability call that fails promises
 * nothing. Every answer's errno is counted, and the longest call kept.
 */
final class ChaosClient implements Runnable {
    /** A file of the client: its path, its fd, how it is made durable, and its ledger. */
    record File(String path, int fd, String durability, FileLedger ledger) {
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

    ChaosClient(Gateway gateway, long seed, String dir, ChaosControl control) {
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
                new String[]{"osync", "O_RDWR,O_SYNC"})) {
            String path = dir + "/" + f[0];
            List<String> flags = new ArrayList<>(List.of("O_CREAT", "O_TRUNC"));
            flags.addAll(List.of(f[1].split(",")));
            Gateway.Answer open = until(() -> gateway.open(path, flags), null);
            if (!open.ok()) {
                return false;
            }
            files.put(f[0], new File(path, (int) open.number("fd"), f[0], new FileLedger()));
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
            if (op < 55 || size == 0) {
                write(f, size, bytes(1 + random.nextInt(16 * 1024)));
            } else if (op < 80) {
                long at = random.nextLong(size);
                write(f, at, bytes((int) Math.min(size - at, 1 + random.nextInt(8 * 1024))));
            } else if (op < 88 && !f.durability().equals("osync")) {
                long length = random.nextBoolean() ? random.nextLong(size + 1) : size + random.nextInt(8 * 1024);
                retry(f, () -> gateway.ftruncate(f.fd(), length), () -> f.ledger().uncertain(Math.min(length, size),
                        Long.MAX_VALUE), () -> f.ledger().truncated(length));
            } else if (!f.durability().equals("osync")) {
                Gateway.Answer a = timed(() -> gateway.post(f.fd(), f.durability()));
                if (a.ok()) {
                    f.ledger().synced();
                    durableCalls.incrementAndGet();
                } else {
                    count(a.errno());
                }
            }
            operations.incrementAndGet();
            control.done();
        }
    }

    private void write(File f, long offset, byte[] data) {
        retry(f, () -> gateway.pwrite(f.fd(), offset, data), () -> f.ledger().uncertain(offset, data.length), () -> {
            f.ledger().wrote(offset, data);
            if (f.durability().equals("osync")) {
                f.ledger().synced(); // O_SYNC: the write returns once the file is durable
                durableCalls.incrementAndGet();
            }
        });
    }

    /** The call until it succeeds (then {@code applied}); stopped before that, the ledger learns it may have happened. */
    private void retry(File f, Supplier<Gateway.Answer> call, Runnable unknown, Runnable applied) {
        while (true) {
            Gateway.Answer a = timed(call);
            if (a.ok()) {
                applied.run();
                return;
            }
            count(a.errno());
            if (!control.keepTrying()) {
                unknown.run();
                return;
            }
            control.pause(Duration.ofMillis(200));
        }
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
