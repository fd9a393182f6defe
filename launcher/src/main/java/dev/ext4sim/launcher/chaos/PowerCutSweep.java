package dev.ext4sim.launcher.chaos;

import dev.ext4sim.ondisk.ImageFile;
import dev.ext4sim.ondisk.logwrites.LogWriteEntry;
import dev.ext4sim.ondisk.logwrites.LogWritesReader;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * ./ext4sim chaos --power-cut-sweep: ACE's persistence points over the live stack. A seeded workload runs while the
 * device logs its writes in the order they became durable (dm-log-writes); then, for every cache flush and FUA write
 * in the log, the disk is rebuilt as a power cut right after it leaves it, recovered by ext4sim and by e2fsck (which
 * must agree and find it clean), and every file is read out of it with debugfs and held to what the workload had been
 * acknowledged by then.
 */
public final class PowerCutSweep {
    /** blockdev-service's write log, through its admin API. */
    public interface Device {
        /** Starts the log; where the disk as it began and the log are. */
        LogFiles start() throws IOException;

        void mark(String text) throws IOException;

        void stop() throws IOException;
    }

    public record LogFiles(Path base, Path log) {
    }

    public record Options(int ops, long seed, Path workDir) {
    }

    /** One crash state checked: the log entry it ends at, the operations done by then, and what was found. */
    record Point(long entry, String kind, int opsDone, int transactions, long lost, boolean replayAgrees,
                 int fsckOurs, int fsckTheirs) {
        boolean ok() {
            return lost == 0 && replayAgrees;
        }
    }

    /** The outcome of a sweep. */
    record Outcome(int ops, int acknowledged, long entries, int flushes, int fuas, int sameAsBefore, List<Point> points,
                   long seconds) {
        long lost() {
            return points.stream().mapToLong(Point::lost).sum();
        }

        long violations() {
            return points.stream().filter(p -> !p.ok()).count();
        }
    }

    private final int gatewayPort;
    private final Device device;
    private final Options options;
    private final PrintStream out;
    private final E2fsprogs e2fsprogs;

    public PowerCutSweep(int gatewayPort, Device device, Options options, PrintStream out, E2fsprogs e2fsprogs) {
        this.gatewayPort = gatewayPort;
        this.device = device;
        this.options = options;
        this.out = out;
        this.e2fsprogs = e2fsprogs;
    }

    /** Runs the workload and the sweep, prints the report, writes it as JSON; 0 when nothing was violated. */
    public int run(Path json) throws Exception {
        long began = System.nanoTime();
        String root = "/powercut-" + options.seed() + "-" + Math.floorMod(System.currentTimeMillis(), 1_000_000L);
        PowerCutWorkload workload = new PowerCutWorkload(new Gateway(gatewayPort, "powercut", 7300), device::mark,
                options.seed(), root);
        LogFiles files;
        try {
            files = device.start();
        } catch (IOException e) {
            out.println("power-cut sweep: " + e.getMessage());
            try {
                device.stop(); // a start that answered too late may have begun a log nobody would end
            } catch (IOException ignored) {
                // none was running
            }
            return 1;
        }
        out.printf("power-cut sweep: %d operations in %s, seed %d, the device's writes logged to %s%n", options.ops(),
                root, options.seed(), files.log());
        try {
            workload.run(options.ops(), n -> {
                if (n % 50 == 0 || n == options.ops()) {
                    out.printf("  workload: %d/%d operations%n", n, options.ops());
                }
            });
        } catch (IllegalStateException e) {
            out.println("power-cut sweep: " + e.getMessage());
            return 1;
        } finally {
            device.stop();
            workload.closeAll();
        }
        Outcome outcome = sweep(files, workload, began);
        print(outcome);
        if (json != null) {
            writeJson(json, outcome);
            out.println("report: " + json);
        }
        return outcome.violations() == 0 && !outcome.points().isEmpty() ? 0 : 1;
    }

    /** Rebuilds the disk entry by entry and checks it at every persistence point. */
    private Outcome sweep(LogFiles files, PowerCutWorkload workload, long began) throws IOException, InterruptedException {
        Files.createDirectories(options.workDir());
        Path state = options.workDir().resolve("powercut-state.img");
        ReplayCheck replay = new ReplayCheck(e2fsprogs);
        List<Point> points = new ArrayList<>();
        int flushes = 0;
        int fuas = 0;
        int same = 0;
        long entries;
        try (LogWritesReader log = LogWritesReader.open(files.log())) {
            try (ImageFile base = ImageFile.open(files.base(), ReplayCheck.BLOCK_SIZE)) {
                base.copySparse(state);
            }
            List<LogWriteEntry> all = log.list();
            entries = all.size();
            long total = all.stream().filter(LogWriteEntry::persistencePoint).count();
            out.printf("sweep: %d log entries, %d persistence points; the disk is rebuilt and checked at each%n",
                    entries, total);
            int done = -1;
            boolean changed = true;
            byte[] sector = new byte[log.sectorSize()];
            try (ImageFile disk = ImageFile.open(state, log.sectorSize())) {
                for (LogWriteEntry e : all) {
                    if (e.isMark()) {
                        done = opOf(e.mark(), done);
                        changed = true;
                        continue;
                    }
                    for (long i = 0; i < e.nrSectors(); i++) {
                        log.data(e, i, sector);
                        disk.write(e.sector() + i, sector);
                        changed = true;
                    }
                    if (!e.persistencePoint()) {
                        continue;
                    }
                    String kind = e.fua() ? "FUA" : "FLUSH";
                    if (e.fua()) {
                        fuas++;
                    } else {
                        flushes++;
                    }
                    if (!changed) {
                        same++; // nothing written and no operation returned since the state checked last
                        continue;
                    }
                    changed = false;
                    Point p = check(state, e, kind, done, workload.durableAt(done), replay);
                    points.add(p);
                    if (!p.ok() || points.size() % 25 == 0) {
                        out.printf("  [%d/%d] entry %d (%s) after %d operations: %s%n", flushes + fuas, total, e.index(),
                                kind, done + 1, describe(p));
                    }
                }
            }
        } finally {
            Files.deleteIfExists(state);
        }
        return new Outcome(options.ops(), workload.acknowledged(), entries, flushes, fuas, same, points,
                (System.nanoTime() - began) / 1_000_000_000L);
    }

    private Point check(Path state, LogWriteEntry e, String kind, int done, Map<String, Durable> durable,
                        ReplayCheck replay) throws IOException, InterruptedException {
        long[] lost = {0};
        ReplayCheck.Result r = replay.check(state, recovered -> {
            for (Map.Entry<String, Durable> f : durable.entrySet()) {
                byte[] found = e2fsprogs.cat(recovered, f.getKey());
                long l = f.getValue().lost(found);
                if (l > 0) {
                    out.printf("  entry %d (%s) after %d operations: %s lost %d acknowledged bytes; %s%n", e.index(), kind,
                            done + 1, f.getKey(), l, f.getValue().describe(found));
                }
                lost[0] += l;
            }
        });
        if (!r.agree()) {
            out.printf("  entry %d (%s): %s%n", e.index(), kind, r.summary());
        }
        return new Point(e.index(), kind, done + 1, r.transactions(), lost[0], r.agree(), r.fsckOurs().exit(),
                r.fsckTheirs().exit());
    }

    private static int opOf(String mark, int done) {
        if (mark != null && mark.startsWith("op ")) {
            return Integer.parseInt(mark.substring(3).trim());
        }
        return done;
    }

    private static String describe(Point p) {
        return (p.transactions() < 0 ? "nothing to replay" : p.transactions() + " transactions replayed") + ", "
                + p.lost() + " acknowledged bytes lost, " + (p.replayAgrees() ? "replays agree, e2fsck clean"
                : "replays disagree or e2fsck found problems");
    }

    private void print(Outcome o) {
        out.println();
        out.printf("power-cut sweep: %d operations, %d acknowledged durability calls, %d log entries%n", o.ops(),
                o.acknowledged(), o.entries());
        out.printf("  persistence points   %d (%d cache flushes, %d FUA writes)%n", o.flushes() + o.fuas(), o.flushes(),
                o.fuas());
        out.printf("  crash states checked %d (%d the same as the one before)%n", o.points().size(), o.sameAsBefore());
        out.printf("  with a replay        %d%n", o.points().stream().filter(p -> p.transactions() > 0).count());
        out.printf("  acknowledged lost    %d bytes%n", o.lost());
        out.printf("  replays disagreeing or e2fsck unclean  %d%n",
                o.points().stream().filter(p -> !p.replayAgrees()).count());
        out.printf("  time                 %d s%n", o.seconds());
        out.println(o.violations() == 0 && !o.points().isEmpty() ? "verdict: PASS" : "verdict: FAIL");
    }

    private static void writeJson(Path json, Outcome o) throws IOException {
        StringBuilder b = new StringBuilder("{\"mode\":\"power-cut-sweep\",\"operations\":").append(o.ops())
                .append(",\"acknowledged_durability_calls\":").append(o.acknowledged())
                .append(",\"log_entries\":").append(o.entries())
                .append(",\"flushes\":").append(o.flushes()).append(",\"fua_writes\":").append(o.fuas())
                .append(",\"states_checked\":").append(o.points().size())
                .append(",\"states_same_as_before\":").append(o.sameAsBefore())
                .append(",\"acknowledged_bytes_lost\":").append(o.lost())
                .append(",\"violations\":").append(o.violations())
                .append(",\"seconds\":").append(o.seconds())
                .append(",\"pass\":").append(o.violations() == 0 && !o.points().isEmpty())
                .append(",\"points\":[");
        for (int i = 0; i < o.points().size(); i++) {
            Point p = o.points().get(i);
            b.append(i == 0 ? "" : ",").append("{\"entry\":").append(p.entry()).append(",\"kind\":\"").append(p.kind())
                    .append("\",\"operations_done\":").append(p.opsDone()).append(",\"transactions_replayed\":")
                    .append(p.transactions()).append(",\"acknowledged_bytes_lost\":").append(p.lost())
                    .append(",\"replays_agree\":").append(p.replayAgrees()).append(",\"e2fsck_ours\":")
                    .append(p.fsckOurs()).append(",\"e2fsck_theirs\":").append(p.fsckTheirs()).append('}');
        }
        Files.writeString(json, b.append("]}\n"));
    }
}
