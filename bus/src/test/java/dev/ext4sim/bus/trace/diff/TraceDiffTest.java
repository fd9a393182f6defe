package dev.ext4sim.bus.trace.diff;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A hand-made kernel trace and ours with known differences, and the numbers and rows they must give. */
class TraceDiffTest {
    // a 6.x kernel's lines (7-wide pid, 5 flags), on a loop device, with a task that is none of the three
    static final String REAL = """
            # tracer: nop
            #
            #           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION
            #              | |         |   |||||     |         |
                        demo-4242    [001] .....   100.000001: ext4_da_write_begin: dev 7,0 ino 12 pos 0 len 12
                        demo-4242    [001] .....   100.000002: ext4_journal_start_inode: dev 7,0 blocks 2, rsv_blocks 0, revoke_creds 8, type 2, ino 12, caller ext4_da_write_begin+0x1ab/0x4c0
                        demo-4242    [001] .....   100.000003: ext4_es_lookup_extent_enter: dev 7,0 ino 12 lblk 0
                        demo-4242    [001] .....   100.000004: ext4_es_lookup_extent_exit: dev 7,0 ino 12 found 0 [0/0) 0
                        demo-4242    [001] .....   100.000005: ext4_da_write_end: dev 7,0 ino 12 pos 0 len 12 copied 12
                  systemd-1       [000] .....   100.000006: ext4_mark_inode_dirty: dev 7,0 ino 2 caller x
                        demo-4242    [001] .....   100.000007: ext4_sync_file_enter: dev 7,0 ino 12 parent 2 datasync 0
                        demo-4242    [001] .....   100.000008: ext4_sync_file_exit: dev 7,0 ino 12 ret 0
                  jbd2/loop0-8-300     [000] .....   100.000009: jbd2_start_commit: dev 7,0 transaction 5 sync 0
                  jbd2/loop0-8-300     [000] .....   100.000010: jbd2_commit_locking: dev 7,0 transaction 5 sync 0
                  jbd2/loop0-8-300     [000] .....   100.000011: jbd2_end_commit: dev 7,0 transaction 5 sync 0 head 4
                  kworker/u8:2-87      [003] .....   100.000012: writeback_start: bdi 7:0: sb_dev 0:0 nr_pages=1024
            """;
    // ours, 4.x layout: the journal start under its 4.x name, one extra event, the kworker missing, fields differ once
    static final String OURS = """
                        demo-1234  [000] ...1    50.000001: ext4_da_write_begin: dev 8,1 ino 12 pos 0 len 12 flags 0
                        demo-1234  [000] ...1    50.000002: ext4_journal_start: dev 8,1 blocks, 2 rsv_blocks, 0 caller ext4_da_write_begin
                        demo-1234  [000] ...1    50.000003: ext4_es_lookup_extent_enter: dev 8,1 ino 12 lblk 0
                        demo-1234  [000] ...1    50.000004: ext4_es_lookup_extent_exit: dev 8,1 ino 12 found 0 [0/0) 0
                        demo-1234  [000] ...1    50.000005: ext4_da_reserve_space: dev 8,1 ino 12 mode 0100644 i_blocks 0
                        demo-1234  [000] ...1    50.000006: ext4_da_write_end: dev 8,1 ino 12 pos 0 len 12 copied 12
                        demo-1234  [000] ...1    50.000007: ext4_sync_file_enter: dev 8,1 ino 12 parent 2 datasync 0
                        demo-1234  [000] ...1    50.000008: ext4_sync_file_exit: dev 8,1 ino 12 ret 0
                        demo-1234  [000] ...1    50.000009: ufshcd_command: send_req: 1d84000.ufshc: tag: 3
                 jbd2/sda1-8-578   [001] ...1    50.000010: jbd2_start_commit: dev 8,1 transaction 5 sync 0
                 jbd2/sda1-8-578   [001] ...1    50.000011: jbd2_commit_locking: dev 8,1 transaction 5 sync 0
                 jbd2/sda1-8-578   [001] ...1    50.000012: jbd2_end_commit: dev 8,1 transaction 5 sync 0 head 4
            """;

    @Test
    void linesOfBothLayoutsAndOfTraceCmdParse() {
        FtraceLine six = FtraceLine.parse("     jbd2/sda1-8-578     [001] .....   110.004200: jbd2_start_commit: dev 8,1 transaction 7 sync 0").orElseThrow();
        assertThat(six.comm()).isEqualTo("jbd2/sda1-8");
        assertThat(six.pid()).isEqualTo(578);
        assertThat(six.cpu()).isEqualTo(1);
        assertThat(six.event()).isEqualTo("jbd2_start_commit");
        assertThat(six.text()).isEqualTo("dev 8,1 transaction 7 sync 0");
        FtraceLine four = FtraceLine.parse("            demo-1234  [001] ...1   105.123456: ext4_da_write_begin: dev 8,1 ino 12 pos 0 len 4096 flags 0").orElseThrow();
        assertThat(four.timestamp()).isEqualTo(105.123456);
        FtraceLine cmd = FtraceLine.parse("            demo-1234  [001]   105.123456: ext4_da_write_begin: dev 8,1 ino 12").orElseThrow();
        assertThat(cmd.comm()).isEqualTo("demo");
        FtraceLine tgid = FtraceLine.parse("  <idle>-0       (-------) [000] d.h1.   1.000001: block_rq_complete: 8,0 WS () 8 + 8 [0]").orElseThrow();
        assertThat(tgid.comm()).isEqualTo("<idle>");
        assertThat(tgid.system()).isEqualTo("block");
        assertThat(FtraceLine.parse("# tracer: nop")).isEmpty();
        assertThat(FtraceLine.parse("CPU 1 buffer started")).isEmpty();
        assertThat(six.shape()).isEqualTo("dev #,# transaction # sync #");
    }

    @Test
    void recallAndPrecisionPerTaskCountTheEventsInTheKernelsOrder() {
        TraceDiff.Result r = TraceDiff.diff(TraceDiff.parse(REAL), TraceDiff.parse(OURS),
                new TraceDiff.Options(TraceDiff.SYSTEMS, Set.of(), true, 1, 80));

        TraceDiff.TaskResult writer = r.task(TaskRole.WRITER);
        assertThat(writer.real()).isEqualTo(7);
        assertThat(writer.ours()).as("ufshcd is not compared by default").isEqualTo(8);
        assertThat(writer.common()).isEqualTo(6);
        assertThat(writer.recall()).isEqualTo(6 / 7.0);
        assertThat(writer.precision()).isEqualTo(6 / 8.0);
        assertThat(writer.fieldsAlike()).as("write_begin has 4.x's flags field").isEqualTo(5);
        assertThat(writer.realTasks()).containsExactly("demo-4242");
        assertThat(writer.ourTasks()).containsExactly("demo-1234");

        TraceDiff.TaskResult jbd2 = r.task(TaskRole.JBD2);
        assertThat(jbd2.recall()).isEqualTo(1.0);
        assertThat(jbd2.precision()).isEqualTo(1.0);
        assertThat(jbd2.sideBySide()).isEmpty();
        TraceDiff.TaskResult kworker = r.task(TaskRole.KWORKER);
        assertThat(kworker.real()).isEqualTo(1);
        assertThat(kworker.recall()).isZero();
        assertThat(r.task(TaskRole.OTHER).realTasks()).containsExactly("systemd-1");
        assertThat(r.realDev()).isEqualTo("7,0");
        assertThat(r.ourDev()).isEqualTo("8,1");

        assertThat(writer.sideBySide()).containsExactly(
                String.format(" ~ %-44s %s", "ext4_da_write_begin: dev 7,0 ino 12 pos 0 len 12",
                        "ext4_da_write_begin: dev 8,1 ino 12 pos 0 len 12 flags 0"),
                String.format(" | %-44s %s", "ext4_journal_start_inode", "ext4_journal_start"),
                String.format(" = %-44s %s", "ext4_es_lookup_extent_enter", "ext4_es_lookup_extent_enter"),
                String.format(" = %-44s %s", "ext4_es_lookup_extent_exit", "ext4_es_lookup_extent_exit"),
                String.format(" + %-44s %s", "", "ext4_da_reserve_space"),
                String.format(" = %-44s %s", "ext4_da_write_end", "ext4_da_write_end"),
                "   … 2 alike");
        String text = r.render();
        assertThat(text).contains("devices: real 7,0 ↔ ours 8,1",
                String.format("%-8s %7d %7d %7d %7.2f %9.2f  %d of %d", "writer", 7, 8, 6, 6 / 7.0, 6 / 8.0, 5, 6));
    }

    @Test
    void aPartitionsRemapsAreLeftOutOnlyWhereTheRealDeviceHasNone() {
        String remapped = OURS.replace("jbd2/sda1-8-578   [001] ...1    50.000011:",
                "jbd2/sda1-8-578   [001] ...1    50.000011: block_bio_remap: 8,0 WSM 1052760 + 8 <- (8,1) 1052760\n"
                        + "     jbd2/sda1-8-578   [001] ...1    50.000011:");
        TraceDiff.Result r = TraceDiff.diff(TraceDiff.parse(REAL), TraceDiff.parse(remapped), TraceDiff.Options.defaults());
        assertThat(r.task(TaskRole.JBD2).ours()).isEqualTo(3);
        assertThat(r.task(TaskRole.JBD2).precision()).isEqualTo(1.0);
        assertThat(r.leftOut()).singleElement().asString().startsWith("1 block_bio_remap of ours");
        assertThat(r.render()).contains("left out: 1 block_bio_remap of ours");

        String realRemapped = REAL.replace("jbd2/loop0-8-300     [000] .....   100.000010:",
                "jbd2/loop0-8-300     [000] .....   100.000010: block_bio_remap: 7,0 WSM 8 + 8 <- (259,0) 8\n"
                        + "      jbd2/loop0-8-300     [000] .....   100.000010:");
        TraceDiff.Result both = TraceDiff.diff(TraceDiff.parse(realRemapped), TraceDiff.parse(remapped),
                TraceDiff.Options.defaults());
        assertThat(both.leftOut()).isEmpty();
        assertThat(both.task(TaskRole.JBD2).ours()).isEqualTo(4);
        assertThat(both.task(TaskRole.JBD2).common()).isEqualTo(4);
    }

    @Test
    void namedWritersAndAllSystemsCanBeChosen() {
        TraceDiff.Result r = TraceDiff.diff(TraceDiff.parse(REAL), TraceDiff.parse(OURS),
                new TraceDiff.Options(Set.of(), Set.of("demo", "systemd"), false, 2, 80));
        assertThat(r.task(TaskRole.WRITER).real()).isEqualTo(8);
        assertThat(r.task(TaskRole.WRITER).ours()).isEqualTo(9);
    }

    @Test
    void theAlignmentIsALongestCommonSubsequenceEvenWhereTheTableIsSplit() {
        Random random = new Random(3);
        for (int round = 0; round < 20; round++) {
            int[] a = random.ints(round < 10 ? 30 : 1500, 0, 4).toArray();
            int[] b = random.ints(round < 10 ? 40 : 1300, 0, 4).toArray();
            List<int[]> pairs = Lcs.align(a, b);
            for (int k = 0; k < pairs.size(); k++) {
                assertThat(a[pairs.get(k)[0]]).isEqualTo(b[pairs.get(k)[1]]);
                if (k > 0) {
                    assertThat(pairs.get(k)[0]).isGreaterThan(pairs.get(k - 1)[0]);
                    assertThat(pairs.get(k)[1]).isGreaterThan(pairs.get(k - 1)[1]);
                }
            }
            assertThat(pairs).hasSize(lcsLength(a, b));
        }
    }

    static int lcsLength(int[] a, int[] b) {
        int[] prev = new int[b.length + 1];
        for (int x : a) {
            int[] cur = new int[b.length + 1];
            for (int j = 1; j <= b.length; j++) {
                cur[j] = x == b[j - 1] ? prev[j - 1] + 1 : Math.max(prev[j], cur[j - 1]);
            }
            prev = cur;
        }
        return prev[b.length];
    }
}
