package dev.ext4sim.bus.trace.diff;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real kernel's trace held against ours, task by task: each role's events in time order, compared by name as a
 * longest common subsequence. Recall is the share of the kernel's events that ours has in the kernel's order,
 * precision the share of ours that the kernel has. Matched events can also be compared by their fields' shape (the
 * text with numbers masked). The side-by-side shows where the two diverge.
 */
public final class TraceDiff {
    /** The subsystems compared unless told otherwise: those a write-path capture enables. */
    public static final Set<String> SYSTEMS = Set.of("ext4", "jbd2", "writeback", "block");
    /** Events only a program that writes enters: their tasks are the writers. */
    private static final Set<String> WRITER_EVENTS = Set.of("ext4_da_write_begin", "ext4_write_begin",
            "ext4_sync_file_enter");
    private static final Pattern DEV = Pattern.compile("\\bdev (\\d+,\\d+)");
    /** What the block layer emits when a bio moves from a partition to its disk (blk_partition_remap). */
    private static final String REMAP = "block_bio_remap";

    /**
     * @param systems  subsystems compared (empty: all)
     * @param writers  comms of the programs (empty: every task that enters ext4's write or fsync)
     * @param fields   compare matched events' fields too
     * @param context  alike events shown around a divergence
     * @param maxRows  rows of side-by-side per task at most
     */
    public record Options(Set<String> systems, Set<String> writers, boolean fields, int context, int maxRows) {
        public static Options defaults() {
            return new Options(SYSTEMS, Set.of(), false, 2, 80);
        }
    }

    /** One role's comparison. */
    public record TaskResult(TaskRole role, List<String> realTasks, List<String> ourTasks, int real, int ours,
                             int common, int fieldsAlike, List<String> sideBySide) {
        public double recall() {
            return real == 0 ? (ours == 0 ? 1 : 0) : (double) common / real;
        }

        public double precision() {
            return ours == 0 ? (real == 0 ? 1 : 0) : (double) common / ours;
        }
    }

    /**
     * @param leftOut what was left out of the comparison and why, one line each
     */
    public record Result(List<TaskResult> tasks, String realDev, String ourDev, boolean fields, List<String> leftOut) {
        public TaskResult task(TaskRole role) {
            return tasks.stream().filter(t -> t.role() == role).findFirst().orElseThrow();
        }

        /** The report as text: a table of the numbers, then each task's divergences side by side. */
        public String render() {
            StringBuilder b = new StringBuilder();
            b.append("devices: real ").append(realDev).append(" ↔ ours ").append(ourDev).append('\n');
            leftOut.forEach(l -> b.append("left out: ").append(l).append('\n'));
            b.append(String.format("%-8s %7s %7s %7s %7s %9s%s%n", "task", "real", "ours", "common", "recall",
                    "precision", fields ? "  fields alike" : ""));
            for (TaskResult t : tasks) {
                b.append(String.format("%-8s %7d %7d %7d %7.2f %9.2f%s%n", t.role().label(), t.real(), t.ours(),
                        t.common(), t.recall(), t.precision(), fields ? String.format("  %d of %d", t.fieldsAlike(),
                                t.common()) : ""));
            }
            for (TaskResult t : tasks) {
                if (t.sideBySide().isEmpty()) {
                    continue;
                }
                b.append('\n').append(t.role().label()).append(": real ").append(t.realTasks()).append(" ↔ ours ")
                        .append(t.ourTasks()).append('\n');
                b.append(String.format("   %-44s %s%n", "real", "ours"));
                t.sideBySide().forEach(r -> b.append(r).append('\n'));
            }
            return b.toString();
        }
    }

    private TraceDiff() {
    }

    public static List<FtraceLine> parse(String text) {
        List<FtraceLine> out = new ArrayList<>();
        text.lines().forEach(l -> FtraceLine.parse(l).ifPresent(out::add));
        return out;
    }

    public static Result diff(List<FtraceLine> real, List<FtraceLine> ours, Options o) {
        List<FtraceLine> r = filter(real, o);
        List<FtraceLine> u = filter(ours, o);
        List<String> leftOut = new ArrayList<>();
        long remaps = u.stream().filter(l -> l.event().equals(REMAP)).count();
        if (remaps > 0 && r.stream().noneMatch(l -> l.event().equals(REMAP))) {
            // ext4sim's filesystem is on partition sda1, a capture's on a whole loop device: the partition's remap
            // of each bio to the disk is a difference of the device, not of the write path
            u = u.stream().filter(l -> !l.event().equals(REMAP)).toList();
            leftOut.add(remaps + " block_bio_remap of ours (a partition's bios remapped to its disk; the real trace's"
                    + " device has no partitions)");
        }
        Set<String> realWriters = o.writers().isEmpty() ? writers(r) : o.writers();
        Set<String> ourWriters = o.writers().isEmpty() ? writers(u) : o.writers();
        List<TaskResult> tasks = new ArrayList<>();
        for (TaskRole role : TaskRole.values()) {
            tasks.add(compare(role, byRole(r, role, realWriters), byRole(u, role, ourWriters), o));
        }
        return new Result(tasks, mainDev(r), mainDev(u), o.fields(), List.copyOf(leftOut));
    }

    private static List<FtraceLine> filter(List<FtraceLine> lines, Options o) {
        List<FtraceLine> out = new ArrayList<>();
        for (FtraceLine l : lines) {
            if (o.systems().isEmpty() || o.systems().contains(l.system())) {
                out.add(l);
            }
        }
        out.sort((x, y) -> Double.compare(x.timestamp(), y.timestamp())); // stable: a tie keeps the file's order
        return out;
    }

    private static Set<String> writers(List<FtraceLine> lines) {
        Set<String> w = new LinkedHashSet<>();
        lines.stream().filter(l -> WRITER_EVENTS.contains(l.event())).forEach(l -> w.add(l.comm()));
        w.removeIf(c -> TaskRole.of(c, Set.of()) != TaskRole.OTHER); // a kworker's writepages is not a writer
        return w;
    }

    private static List<FtraceLine> byRole(List<FtraceLine> lines, TaskRole role, Set<String> writers) {
        return lines.stream().filter(l -> TaskRole.of(l.comm(), writers) == role).toList();
    }

    /** The device most ext4 and jbd2 events name. */
    private static String mainDev(List<FtraceLine> lines) {
        Map<String, Integer> count = new HashMap<>();
        for (FtraceLine l : lines) {
            Matcher m = DEV.matcher(l.text());
            if (m.find()) {
                count.merge(m.group(1), 1, Integer::sum);
            }
        }
        return count.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse("-");
    }

    private static TaskResult compare(TaskRole role, List<FtraceLine> real, List<FtraceLine> ours, Options o) {
        Map<String, Integer> ids = new HashMap<>();
        int[] a = real.stream().mapToInt(l -> ids.computeIfAbsent(l.event(), k -> ids.size())).toArray();
        int[] b = ours.stream().mapToInt(l -> ids.computeIfAbsent(l.event(), k -> ids.size())).toArray();
        List<int[]> pairs = Lcs.align(a, b);
        int alike = 0;
        for (int[] p : pairs) {
            if (real.get(p[0]).shape().equals(ours.get(p[1]).shape())) {
                alike++;
            }
        }
        return new TaskResult(role, tasks(real), tasks(ours), real.size(), ours.size(), pairs.size(), alike,
                sideBySide(real, ours, pairs, o));
    }

    private static List<String> tasks(List<FtraceLine> lines) {
        Map<String, Set<Integer>> pids = new TreeMap<>();
        lines.forEach(l -> pids.computeIfAbsent(l.comm(), k -> new LinkedHashSet<>()).add(l.pid()));
        List<String> out = new ArrayList<>();
        pids.forEach((c, p) -> out.add(c + (p.size() == 1 ? "-" + p.iterator().next() : " (" + p.size() + " pids)")));
        return out;
    }

    /**
     * Rows: {@code =} alike, {@code ~} alike by name but not by fields (with --fields), {@code -} the kernel's only,
     * {@code +} ours only, {@code |} one of each where the two diverge side by side. Runs of alike rows beyond the
     * context fold into one line.
     */
    private static List<String> sideBySide(List<FtraceLine> real, List<FtraceLine> ours, List<int[]> pairs, Options o) {
        List<String[]> rows = new ArrayList<>(); // {mark, left, right}
        int i = 0;
        int j = 0;
        for (int k = 0; k <= pairs.size(); k++) {
            int pi = k < pairs.size() ? pairs.get(k)[0] : real.size();
            int pj = k < pairs.size() ? pairs.get(k)[1] : ours.size();
            while (i < pi || j < pj) {
                String left = i < pi ? real.get(i++).event() : "";
                String right = j < pj ? ours.get(j++).event() : "";
                rows.add(new String[]{left.isEmpty() ? "+" : right.isEmpty() ? "-" : "|", left, right});
            }
            if (k < pairs.size()) {
                FtraceLine x = real.get(i++);
                FtraceLine y = ours.get(j++);
                boolean fieldsDiffer = o.fields() && !x.shape().equals(y.shape());
                rows.add(fieldsDiffer ? new String[]{"~", x.event() + ": " + x.text(), y.event() + ": " + y.text()}
                        : new String[]{"=", x.event(), y.event()});
            }
        }
        if (rows.stream().allMatch(r -> r[0].equals("="))) {
            return List.of();
        }
        boolean[] show = new boolean[rows.size()];
        for (int k = 0; k < rows.size(); k++) {
            if (!rows.get(k)[0].equals("=")) {
                for (int c = Math.max(0, k - o.context()); c <= Math.min(rows.size() - 1, k + o.context()); c++) {
                    show[c] = true;
                }
            }
        }
        List<String> out = new ArrayList<>();
        int folded = 0;
        for (int k = 0; k < rows.size() && out.size() < o.maxRows(); k++) {
            if (!show[k]) {
                folded++;
                continue;
            }
            if (folded > 0) {
                out.add("   … " + folded + " alike");
                folded = 0;
            }
            String[] r = rows.get(k);
            out.add(String.format(" %s %-44s %s", r[0], r[1], r[2]));
        }
        if (out.size() >= o.maxRows()) {
            out.add("   … (more rows left out; raise the limit to see them)");
        } else if (folded > 0) {
            out.add("   … " + folded + " alike");
        }
        return out;
    }

    /** The numbers alone, per role, as a map for JSON. */
    public static Map<String, Object> numbers(Result r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("devices", Map.of("real", r.realDev(), "ours", r.ourDev()));
        m.put("left_out", r.leftOut());
        for (TaskResult t : r.tasks()) {
            Map<String, Object> n = new LinkedHashMap<>();
            n.put("real", t.real());
            n.put("ours", t.ours());
            n.put("common", t.common());
            n.put("recall", Math.round(t.recall() * 1000) / 1000.0);
            n.put("precision", Math.round(t.precision() * 1000) / 1000.0);
            if (r.fields()) {
                n.put("fields_alike", t.fieldsAlike());
            }
            n.put("real_tasks", t.realTasks());
            n.put("our_tasks", t.ourTasks());
            m.put(t.role().label(), n);
        }
        return m;
    }
}
