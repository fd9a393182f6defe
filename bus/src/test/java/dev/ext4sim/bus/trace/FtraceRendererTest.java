package dev.ext4sim.bus.trace;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Expected lines are the examples of reference/tracepoints.md §2, character for character. */
class FtraceRendererTest {
    private static final FtraceRenderer K4 = new FtraceRenderer(FtraceLayout.KERNEL_4X);
    private static final FtraceRenderer K6 = new FtraceRenderer(FtraceLayout.KERNEL_6X);

    private static TraceEvent event(long ts, Task task, int cpu, String system, String name, String text) {
        return new TraceEvent(ts, task.comm(), task.pid(), cpu, system, name, Map.of(), text, "t", "svc");
    }

    private static TraceEvent writeBegin(String text) {
        return event(105_123_456_000L, new Task("demo", 1234), 1, "ext4", "ext4_da_write_begin", text);
    }

    @Test
    void kernel4xLine() {
        assertThat(K4.line(writeBegin("dev 8,1 ino 12 pos 0 len 4096 flags 0"))).isEqualTo(
                "            demo-1234  [001] ...1   105.123456: ext4_da_write_begin: dev 8,1 ino 12 pos 0 len 4096 flags 0");
    }

    @Test
    void kernel6xLine() {
        assertThat(K6.line(writeBegin("dev 8,1 ino 12 pos 0 len 4096"))).isEqualTo(
                "            demo-1234    [001] .....   105.123456: ext4_da_write_begin: dev 8,1 ino 12 pos 0 len 4096");
    }

    @Test
    void kworkerLine() {
        TraceEvent e = event(135_200_010_999L, new Task("kworker/u8:2", 87), 3, "writeback", "writeback_start",
                "bdi 8:0: sb_dev 0:0 nr_pages=1024 sync_mode=0 kupdate=1 range_cyclic=1 background=0 reason=periodic cgroup_ino=1");

        assertThat(K6.line(e)).isEqualTo("    kworker/u8:2-87      [003] .....   135.200010: writeback_start: bdi 8:0: "
                + "sb_dev 0:0 nr_pages=1024 sync_mode=0 kupdate=1 range_cyclic=1 background=0 reason=periodic cgroup_ino=1");
        assertThat(K4.line(e)).startsWith("    kworker/u8:2-87    [003] ...1   135.200010: writeback_start: ");
    }

    @Test
    void journalThreadLine() {
        TraceEvent e = event(110_004_200_000L, new Task("jbd2/sda1-8", 301), 0, "jbd2", "jbd2_start_commit",
                "dev 8,1 transaction 7 sync 0");

        assertThat(K6.line(e)).isEqualTo(
                "     jbd2/sda1-8-301     [000] .....   110.004200: jbd2_start_commit: dev 8,1 transaction 7 sync 0");
    }

    @Test
    void pidZeroIsIdle() {
        TraceEvent e = event(200_000_001_000L, new Task("swapper/2", 0), 2, "block", "block_rq_complete",
                "8,0 W () 2048 + 8 [0]");

        assertThat(K6.line(e)).isEqualTo(
                "          <idle>-0       [002] .....   200.000001: block_rq_complete: 8,0 W () 2048 + 8 [0]");
        assertThat(K4.line(e)).startsWith("          <idle>-0     [002] ...1   200.000001: ");
    }

    @Test
    void aLongCommIsCutTo15CharactersByTask() {
        Task task = new Task("a-very-long-program-name", 4321);

        assertThat(task.comm()).isEqualTo("a-very-long-pro").hasSize(Task.TASK_COMM_LEN - 1);
        assertThat(K6.line(event(1_000_000_000L, task, 0, "ext4", "ext4_sync_file_enter", "x")))
                .startsWith(" a-very-long-pro-4321    [000] .....     1.000000: ext4_sync_file_enter: x");
    }

    @Test
    void smallAndLargeTimestampsAndAnEmptyText() {
        Task t = new Task("demo", 1);

        assertThat(K6.line(event(5_999L, t, 0, "s", "e", ""))).endsWith("] .....     0.000005: e: ");
        assertThat(K6.line(event(-1L, t, 0, "s", "e", "x"))).endsWith("] .....     0.000000: e: x");
        assertThat(K6.line(event(123_456_789_012_345L, t, 0, "s", "e", "x"))).endsWith("] ..... 123456.789012: e: x");
        assertThat(K6.line(event(0, t, 12, "s", "e", "x"))).contains("-1       [012] ");
    }

    @Test
    void headerOfACurrentKernel() {
        assertThat(K6.header(2, 5, 8)).isEqualTo("""
                # tracer: nop
                #
                # entries-in-buffer/entries-written: 2/5   #P:8
                #
                #                                _-----=> irqs-off/BH-disabled
                #                               / _----=> need-resched
                #                              | / _---=> hardirq/softirq
                #                              || / _--=> preempt-depth
                #                              ||| / _-=> migrate-disable
                #                              |||| /     delay
                #           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION
                #              | |         |   |||||     |         |
                """);
    }

    @Test
    void headerOfA4xKernel() {
        assertThat(K4.header(2, 5, 8)).isEqualTo("""
                # tracer: nop
                #
                # entries-in-buffer/entries-written: 2/5   #P:8
                #
                #                              _-----=> irqs-off
                #                             / _----=> need-resched
                #                            | / _---=> hardirq/softirq
                #                            || / _--=> preempt-depth
                #                            ||| /     delay
                #           TASK-PID   CPU#  ||||    TIMESTAMP  FUNCTION
                #              | |       |   ||||       |         |
                """);
    }

    @Test
    void renderSortsByTimestampAndCountsTheEventsShown() {
        TraceEvent later = event(110_004_200_000L, new Task("jbd2/sda1-8", 301), 0, "jbd2", "jbd2_start_commit",
                "dev 8,1 transaction 7 sync 0");
        TraceEvent earlier = writeBegin("dev 8,1 ino 12 pos 0 len 4096");

        String text = K6.render(List.of(later, earlier), 5, 8);

        assertThat(text).startsWith(K6.header(2, 5, 8));
        assertThat(text).contains("# entries-in-buffer/entries-written: 2/5   #P:8\n");
        assertThat(text.substring(K6.header(2, 5, 8).length())).isEqualTo(
                K6.line(earlier) + "\n" + K6.line(later) + "\n");
        String[] lines = text.split("\n");
        assertThat(lines[lines.length - 2]).contains("ext4_da_write_begin");
        assertThat(lines[lines.length - 1]).contains("jbd2_start_commit");
    }

    @Test
    void renderOfNothingIsTheHeaderAlone() {
        assertThat(K4.render(List.of(), 0, 4)).isEqualTo(K4.header(0, 0, 4))
                .contains("entries-in-buffer/entries-written: 0/0   #P:4");
    }
}
