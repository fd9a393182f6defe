package dev.ext4sim.ext4.fs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.ondisk.E2fsprogs;
import dev.ext4sim.ondisk.ext4.Ext4;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Writers with fsyncs, a flusher and a committing journal thread at once, on virtual threads: nothing deadlocks (jbd2's
 * ordered-data callback comes in while writers hold handles and fsyncs wait), and every file ends as written.
 */
class ConcurrencyTest {
    @TempDir
    Path dir;

    @Test
    void writersFlusherAndCommitsTogether() throws Exception {
        int writers = 6;
        int writesEach = 150;
        byte[][] expected = new byte[writers][];
        try (Ext4Fixture f = new Ext4Fixture(dir, 64L << 20);
             ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            AtomicBoolean done = new AtomicBoolean();
            ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
            CountDownLatch writersDone = new CountDownLatch(writers);
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < writers; t++) {
                int id = t;
                futures.add(pool.submit(() -> {
                    try {
                        TraceContext w = Ext4Fixture.writer("w" + id, 1000 + id);
                        int ino = f.ext4.create(w, Ext4.ROOT_INO, "file" + id, 0644);
                        Random rnd = new Random(id);
                        byte[] model = new byte[0];
                        for (int i = 0; i < writesEach; i++) {
                            byte[] data = new byte[1 + rnd.nextInt(12_000)];
                            rnd.nextBytes(data);
                            long pos = rnd.nextInt(model.length + 1);
                            boolean osync = rnd.nextInt(10) == 0;
                            f.ext4.write(w, ino, pos, data, new Ext4Mount.WriteFlags(false, osync, false));
                            model = Arrays.copyOf(model, (int) Math.max(model.length, pos + data.length));
                            System.arraycopy(data, 0, model, (int) pos, data.length);
                            if (rnd.nextInt(8) == 0) {
                                f.ext4.fsync(w, ino, rnd.nextBoolean());
                            }
                        }
                        expected[id] = model;
                    } catch (Throwable e) {
                        errors.add(e);
                    } finally {
                        writersDone.countDown();
                    }
                }));
            }
            futures.add(pool.submit(() -> {
                while (!done.get()) {
                    try {
                        f.flushAll();
                    } catch (Throwable e) {
                        errors.add(e);
                        return;
                    }
                    Thread.yield();
                }
            }));
            futures.add(pool.submit(() -> {
                while (!done.get()) {
                    try {
                        f.journal.commit();
                    } catch (Throwable e) {
                        errors.add(e);
                        return;
                    }
                    Thread.yield();
                }
            }));
            boolean finished = writersDone.await(120, TimeUnit.SECONDS);
            done.set(true);
            for (Future<?> fu : futures) {
                fu.get(30, TimeUnit.SECONDS);
            }
            assertThat(finished).as("writers finished (no deadlock)").isTrue();
            assertThat(errors).isEmpty();
            f.unmountAndCheck();
        }
        for (int t = 0; t < writers; t++) {
            E2fsprogs.Result cat = E2fsprogs.debugfs(dir.resolve("sda1.img"), "cat /file" + t);
            assertThat(cat.stdout()).as("file" + t).isEqualTo(expected[t]);
        }
    }
}
