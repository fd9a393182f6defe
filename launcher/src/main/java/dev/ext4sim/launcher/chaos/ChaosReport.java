package dev.ext4sim.launcher.chaos;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** The chaos run's verdict: a table per crash point, and the same as JSON. */
final class ChaosReport {
    private ChaosReport() {
    }

    static void print(PrintStream out, Map<String, ChaosRun.PointReport> points, E2fsprogs.Result fsck, int files,
                      long lostOnImage, long differOnImage, boolean ok) {
        out.println();
        out.printf("%-36s %5s %9s %9s %9s %10s %7s  %s%n", "CRASH POINT", "FIRED", "NOT REACH", "RECOV P50", "RECOV MAX",
                "ACKED LOST", "REPLAY", "ERRNOS SEEN (LONGEST CALL)");
        points.forEach((p, r) -> out.printf("%-36s %5d %9d %9s %9s %10d %7s  %s (%d ms)%n", p, r.fired, r.notReached,
                seconds(percentile(r.recoveryMillis, 50)), seconds(percentile(r.recoveryMillis, 100)),
                r.lostAcknowledgedBytes, r.replayChecks == 0 ? "-" : (r.replayChecks - r.replayDisagreements) + "/"
                        + r.replayChecks, r.errnos.isEmpty() ? "none" : r.errnos, r.longestCallMillis));
        if (points.values().stream().anyMatch(r -> r.replayChecks > 0)) {
            out.println("REPLAY: images taken at a power cut on which e2fsck's journal replay and ext4sim's wrote the"
                    + " same blocks and e2fsck -fn found nothing, of those checked");
        }
        out.printf("image: e2fsck -fn exit %d%s; %d files read with debugfs: %d acknowledged bytes lost, %d bytes differ "
                + "from what the writes left after a clean stop%n", fsck.exit(), fsck.exit() == 0 ? " (clean)" : "",
                files, lostOnImage, differOnImage);
        if (fsck.exit() != 0) {
            out.println(fsck.output());
        }
        out.println(ok ? "verdict: PASS" : "verdict: FAIL");
    }

    static void writeJson(Path json, ChaosRun.Options options, Map<String, ChaosRun.PointReport> points, long operations,
                          long durable, E2fsprogs.Result fsck, long lostDuringRun, long lostOnImage, long differOnImage,
                          boolean ok) throws IOException {
        String perPoint = points.entrySet().stream().map(e -> {
            ChaosRun.PointReport r = e.getValue();
            return "\"" + e.getKey() + "\":{\"fired\":" + r.fired + ",\"not_reached\":" + r.notReached
                    + ",\"recovery_ms\":" + r.recoveryMillis + ",\"recovery_p50_ms\":" + percentile(r.recoveryMillis, 50)
                    + ",\"recovery_max_ms\":" + percentile(r.recoveryMillis, 100) + ",\"acknowledged_bytes_lost\":"
                    + r.lostAcknowledgedBytes + ",\"errnos\":{" + r.errnos.entrySet().stream()
                    .map(x -> "\"" + x.getKey() + "\":" + x.getValue()).collect(Collectors.joining(","))
                    + "},\"longest_call_ms\":" + r.longestCallMillis + ",\"replay_checks\":" + r.replayChecks
                    + ",\"replay_disagreements\":" + r.replayDisagreements + ",\"unchecked\":" + r.unchecked + "}";
        }).collect(Collectors.joining(","));
        Files.writeString(json, "{\"verdict\":\"" + (ok ? "pass" : "fail") + "\",\"clients\":" + options.clients()
                + ",\"seed\":" + options.seed() + ",\"crashes\":" + options.schedule().size() + ",\"operations\":"
                + operations + ",\"acknowledged_durability_calls\":" + durable + ",\"points\":{" + perPoint
                + "},\"acknowledged_bytes_lost_during_run\":" + lostDuringRun + ",\"image\":{\"e2fsck_exit\":"
                + fsck.exit() + ",\"acknowledged_bytes_lost\":" + lostOnImage + ",\"bytes_differing_after_clean_stop\":"
                + differOnImage + "}}\n");
    }

    /** The p-th percentile (nearest rank) in ms, or -1 when there is none. */
    static long percentile(List<Long> values, int p) {
        if (values.isEmpty()) {
            return -1;
        }
        List<Long> sorted = values.stream().sorted().toList();
        int rank = (int) Math.ceil(p / 100.0 * sorted.size());
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
    }

    private static String seconds(long millis) {
        return millis < 0 ? "-" : String.format("%.1f s", millis / 1e3);
    }
}
