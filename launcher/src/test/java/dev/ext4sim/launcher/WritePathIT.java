package dev.ext4sim.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ext4sim.ondisk.E2fsprogs;
import dev.ext4sim.ondisk.ext4.Mkfs;
import dev.ext4sim.ondisk.ext4.MkfsOptions;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The seed program end to end, over REST against the whole stack as `./ext4sim up` runs it: the three
 * variants of open/write/[fsync] with their tracepoints per task in the seed call graph's order, the bytes on the real
 * image as e2fsck and debugfs read them, a seeded random workload, the errno of every bad call, ENOSPC at write() on a
 * full device with nothing acknowledged lost, a gateway benchmark that prints latencies in bus round trips, and direct
 * I/O (a synchronous O_DIRECT write past the end, into a hole and over written blocks, each with its path's
 * tracepoints in the writer; an asynchronous one whose conversion the dio/sda1 worker does before its event is reaped),
 * then the same disk mounted data=journal (file data logged, replayed by e2fsck and by jbd2-service after a power cut)
 * and remounted nodelalloc,data=writeback. One stack at a time, on a 64 MiB disk formatted before `up` so that filling it is quick.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WritePathIT {
    static final byte[] HELLO = "hello world\n".getBytes(StandardCharsets.US_ASCII);

    // The seed call graphs of DESIGN §1 as the 4.x tracepoints show them, per piece (ext4, jbd2 and writeback events;
    // the block and UFS events of the same tasks are checked apart).
    /**
     * lookup_open's ext4_lookup of the new name: ext4_find_entry maps the root's block 0, which only the mount's first
     * lookup finds missing from the extent status tree.
     */
    static final List<String> LOOKUP_MISS = List.of("ext4_es_lookup_extent_enter", "ext4_es_lookup_extent_exit",
            "ext4_ext_map_blocks_enter", "ext4_ext_show_extent", "ext4_ext_map_blocks_exit", "ext4_es_insert_extent");
    static final List<String> LOOKUP_HIT = List.of("ext4_es_lookup_extent_enter", "ext4_es_lookup_extent_exit");
    /** ext4_create in one handle; ext4_add_entry reads the root's block 0 again (a status hit). */
    static final List<String> CREATE = List.of("ext4_request_inode", "ext4_journal_start", "jbd2_handle_start",
            "ext4_mark_inode_dirty", "ext4_allocate_inode", "ext4_es_lookup_extent_enter", "ext4_es_lookup_extent_exit",
            "ext4_mark_inode_dirty", "ext4_mark_inode_dirty", "jbd2_handle_stats");
    static final List<String> WRITE = List.of("ext4_da_write_begin", "ext4_journal_start", "jbd2_handle_start",
            "ext4_es_lookup_extent_enter", "ext4_es_lookup_extent_exit", "ext4_ext_map_blocks_enter",
            "ext4_es_find_delayed_extent_range_enter", "ext4_es_find_delayed_extent_range_exit", "ext4_es_insert_extent",
            "ext4_ext_map_blocks_exit", "ext4_da_reserve_space", "ext4_es_insert_extent", "ext4_da_write_end",
            "writeback_dirty_page", "writeback_mark_inode_dirty", "writeback_dirty_inode_enqueue",
            "writeback_mark_inode_dirty", "writeback_dirty_inode_start", "ext4_journal_start", "ext4_mark_inode_dirty",
            "writeback_dirty_inode", "jbd2_handle_stats");
    /**
     * file_update_time before the page loop: mtime and ctime change, __mark_inode_dirty(I_DIRTY_SYNC) with its own
     * handle. The kernel does it only when the coarse clock moved since the create (a jiffy), so a
     * trace has it or not; when it does, the inode joins the dirty list there.
     */
    static final List<String> UPDATE_TIME = List.of("writeback_mark_inode_dirty", "writeback_dirty_inode_start",
            "ext4_journal_start", "jbd2_handle_start", "ext4_mark_inode_dirty", "jbd2_handle_stats", "writeback_dirty_inode",
            "writeback_dirty_inode_enqueue");
    /**
     * The allocation of a file the writer still has open; ext4_da_update_reserve_space's quota claim dirties the inode
     * through a handle nested in the writepages one (no jbd2 event of its own).
     */
    static final List<String> WRITEPAGES = writepages(false);
    /** The same once the file is closed: no writer and nothing reserved, so the preallocations are discarded too. */
    static final List<String> WRITEPAGES_CLOSED = writepages(true);
    static final List<String> COMMIT = List.of("jbd2_start_commit", "jbd2_commit_locking", "jbd2_commit_flushing",
            "jbd2_submit_inode_data", "jbd2_commit_logging", "jbd2_run_stats", "jbd2_end_commit");
    /** A kupdate pass of 4.x: the second, empty round and global_dirty_state are what 4.x's wb_writeback does. */
    static final List<String> FLUSHER = concat(List.of("writeback_start", "writeback_queue_io", "writeback_single_inode_start"),
            WRITEPAGES_CLOSED, List.of("writeback_write_inode_start", "writeback_write_inode", "writeback_single_inode", "writeback_written", "writeback_start", "writeback_queue_io",
                    "writeback_written", "global_dirty_state", "writeback_pages_written"));
    static Settings settings;
    static Stack stack;
    static Rest rest;
    static final ByteArrayOutputStream output = new ByteArrayOutputStream();
    /** Every file's bytes as acknowledged by the stack: what must be on the image at the end. */
    static final Map<String, byte[]> model = new LinkedHashMap<>();

    @BeforeAll
    static void upOnASmallDisk() throws Exception {
        Path root = Path.of(System.getProperty("user.dir")).getParent();
        Path home = Files.createTempDirectory(root.resolve("launcher").resolve("target"), "writepath-");
        int base = LauncherIT.freePortBlock(10);
        settings = new Settings(root, home, base, base + 8, "");
        Mkfs.format(settings.image(), MkfsOptions.defaults().withSize(64L << 20));
        stack = new Stack(settings, new PrintStream(output, true, StandardCharsets.UTF_8));
        assertThat(stack.up()).as(output.toString(StandardCharsets.UTF_8)).isZero();
        rest = new Rest(settings.port(Component.SERVICES.getFirst()));
    }

    @AfterAll
    static void down() {
        if (stack != null) {
            stack.down();
        }
        System.out.println(output.toString(StandardCharsets.UTF_8));
    }

    // ---- the seed program, three variants ------------------------------------------------------------------------

    @Test
    @Order(1)
    void seedWithFsync() throws Exception {
        Rest.Caller demo = rest.as("seed-fsync", 3001);
        Rest.Reply open = demo.open("/hello", List.of("O_CREAT", "O_RDWR"), "0644");
        assertThat(open.body()).isEqualTo("{\"fd\":3}");
        assertThat(demo.write(3, HELLO).body()).isEqualTo("{\"written\":12}");
        Rest.Reply fsync = demo.post("/v1/fds/3/fsync");
        assertThat(fsync.body()).isEqualTo("{\"ret\":0}");
        assertThat(demo.post("/v1/fds/3/close").body()).isEqualTo("{\"ret\":0}");
        model.put("/hello", HELLO);

        List<Rest.Line> writer = rest.traceUntil("task=seed-fsync", l -> l.event().equals("ext4_discard_preallocations"));
        List<Rest.Line> commit = rest.traceUntil("trace=" + fsync.traceId(), l -> l.event().equals("jbd2_end_commit"));
        print("seed with fsync", writer, commit);
        List<String> events = names(writer, WritePathIT::pathEvent);
        assertThat(events).containsExactlyElementsOf(concat(createAndWrite(events),
                List.of("ext4_sync_file_enter"), writepagesOpen(events), List.of("ext4_sync_file_exit", "ext4_discard_preallocations")));
        // the stack's first commit on a clean journal writes the log tail first (JBD2_FLUSHED)
        assertThat(commitPhases(commit)).containsExactlyElementsOf(concat(List.of("jbd2_write_superblock"), COMMIT));
        assertThat(text(commit, "jbd2_write_superblock")).isEqualTo("dev 8,1 write_flags 800");
        // the data went out from the writer as a sync write after the allocation's handle, before the commit
        assertThat(names(writer, l -> l.event().startsWith("block_bio_queue"))).isNotEmpty();
        assertThat(writer).anyMatch(l -> l.event().equals("block_bio_queue") && l.text().matches("8,0 WS \\d+ \\+ 8 \\[seed-fsync]"));
        assertThat(text(writer, "ext4_da_write_begin")).isEqualTo("dev 8,1 ino 12 pos 0 len 12 flags 0");
        assertThat(text(writer, "ext4_da_write_end")).isEqualTo("dev 8,1 ino 12 pos 0 len 12 copied 12");
        // block_write_end's mark_buffer_dirty of the delayed page's buffer: b_blocknr is ext4_da_map_blocks' ~0xffff
        // (the buffer events are not pathEvents; their touches depend on which cpus the tasks hash to)
        assertThat(text(writer, "block_dirty_buffer")).isEqualTo("8,1 sector=18446744073709486080 size=4096");
        assertThat(writer).filteredOn(l -> l.event().equals("block_touch_buffer")).isNotEmpty()
                .allMatch(l -> l.text().matches("8,1 sector=\\d+ size=4096"));
        assertThat(text(writer, "ext4_sync_file_enter")).isEqualTo("dev 8,1 ino 12 parent 2 datasync 0 ");
        assertThat(text(writer, "ext4_sync_file_exit")).isEqualTo("dev 8,1 ino 12 ret 0");
        assertThat(writer).anyMatch(l -> l.raw().matches(" {6}seed-fsync-3001 +\\[\\d{3}] \\.\\.\\.1 +\\d+\\.\\d{6}: "
                + "ext4_da_reserve_space: dev 8,1 ino 12 mode 0100644 i_blocks 0 reserved_data_blocks 1 reserved_meta_blocks 0"));
    }

    @Test
    @Order(2)
    void seedWithOSync() throws Exception {
        Rest.Caller demo = rest.as("seed-osync", 3002);
        assertThat(demo.open("/hello-osync", List.of("O_CREAT", "O_RDWR", "O_SYNC"), "0644").body()).isEqualTo("{\"fd\":3}");
        Rest.Reply write = demo.write(3, HELLO);
        assertThat(write.body()).isEqualTo("{\"written\":12}");
        model.put("/hello-osync", HELLO);
        demo.post("/v1/fds/3/close");
        List<Rest.Line> writer = rest.traceUntil("task=seed-osync", l -> l.event().equals("ext4_discard_preallocations"));
        // generic_write_sync's commit, which the write waited for, on the jbd2 thread
        List<Rest.Line> commit = rest.traceUntil("trace=" + write.traceId(), l -> l.event().equals("jbd2_end_commit"));
        print("seed with O_SYNC", writer, commit);
        assertThat(commitPhases(commit)).containsExactlyElementsOf(COMMIT);
        assertThat(text(writer, "ext4_sync_file_enter")).isEqualTo("dev 8,1 ino 13 parent 2 datasync 0 ");
        List<String> events = names(writer, WritePathIT::pathEvent);
        assertThat(events).containsExactlyElementsOf(concat(createAndWrite(events),
                List.of("ext4_sync_file_enter"), writepagesOpen(events), List.of("ext4_sync_file_exit", "ext4_discard_preallocations")));
        assertThat(text(writer, "ext4_writepages")).isEqualTo("dev 8,1 ino 13 nr_to_write 9223372036854775807 pages_skipped 0"
                + " range_start 0 range_end 11 sync_mode 1 for_kupdate 0 range_cyclic 0 writeback_index 0");
    }

    @Test
    @Order(3)
    void seedWithoutFsyncIsWrittenBackByTheKworkerAndCommittedByTheTimer() throws Exception {
        Rest.Caller admin = rest.as("test-sysctl", 3100);
        // Nothing else dirty, so the flusher's pass is this inode's alone.
        assertThat(admin.post("/v1/sync").body()).isEqualTo("{\"ret\":0}");
        // The vm.dirty_* settings change while the system runs: one second instead of thirty, so the test is short.
        expireInOneSecond(admin);
        assertThat(admin.get("/v1/sysctl/vm.dirty_expire_centisecs").body()).contains("100");
        Rest.Caller demo = rest.as("seed-nosync", 3003);
        assertThat(demo.open("/hello-nosync", List.of("O_CREAT", "O_RDWR"), "0644").body()).isEqualTo("{\"fd\":3}");
        assertThat(demo.write(3, HELLO).body()).isEqualTo("{\"written\":12}");
        assertThat(demo.post("/v1/fds/3/close").body()).isEqualTo("{\"ret\":0}");
        model.put("/hello-nosync", HELLO);
        long ino = Long.parseLong(demo.get("/v1/stat?path=/hello-nosync").field("inode"));
        List<Rest.Line> writer = rest.traceUntil("task=seed-nosync", l -> l.event().equals("ext4_da_write_end"));
        String since = writer.getLast().timestamp();
        // the flusher's pass that wrote this inode: from its writeback_start to its writeback_written
        Predicate<Rest.Line> ours = l -> l.event().equals("ext4_writepages_result") && l.text().startsWith("dev 8,1 ino " + ino + " ");
        // jbd2 emits the handles' events when the journal pump's batch reaches it (up to journal-linger later, stamped
        // at ext4's times), so the pass is complete once each ext4_journal_start of a handle of its own (not the quota
        // claim's ext4_dirty_inode, nested in the writepages one) has its jbd2_handle_stats
        List<Rest.Line> kworker = flusherPass(rest.traceUntilAll("task=kworker/u16:2&since=" + since, lines -> {
            List<Rest.Line> pass = flusherPass(lines, ours);
            return pass != null && count(pass, "ext4_journal_start") - pass.stream().filter(l -> l.event()
                    .equals("ext4_journal_start") && l.text().contains(" caller ext4_dirty_inode+")).count()
                    == count(pass, "jbd2_handle_stats");
        }), ours);
        writer = rest.traceUntil("task=seed-nosync", l -> l.event().equals("ext4_da_write_end"));
        print("seed without fsync", writer, kworker);
        List<String> events = names(writer, WritePathIT::pathEvent);
        assertThat(events).containsExactlyElementsOf(createAndWrite(events));
        assertThat(names(kworker, WritePathIT::pathEvent)).containsExactlyElementsOf(FLUSHER);
        assertThat(text(kworker, "ext4_writepages")).startsWith("dev 8,1 ino " + ino + " nr_to_write 1024 pages_skipped 0")
                .contains("sync_mode 0 for_kupdate 1 range_cyclic 1");
        // a kupdate pass writes only inodes dirty for dirty_expire_centisecs: this one went when younger than the default
        // thirty seconds, so the expiry set over REST a moment ago is the one the flusher used
        double age = seconds(kworker.getFirst()) - seconds(writer.getLast());
        assertThat(age).as("seconds from ext4_da_write_end to the kupdate pass that wrote it").isLessThan(30.0);
        // and the commit timer commits the allocation, data=ordered: the transaction of the handle that allocated the
        // block carries the inode (jbd2_submit_inode_data), and commits only after the data block is on the device
        String tid = field(text(kworker, "jbd2_handle_start"), "tid");
        String dataBlock = dataWrite(text(kworker, "block_rq_issue"));
        List<Rest.Line> commit = rest.traceUntil("task=jbd2/sda1-8&since=" + kworker.getFirst().timestamp(),
                l -> l.event().equals("jbd2_end_commit") && l.text().contains(" transaction " + tid + " "));
        commit = commit.subList(indexOf(commit, l -> l.event().equals("jbd2_start_commit")
                && l.text().contains(" transaction " + tid + " ")), commit.size());
        assertThat(commit).anyMatch(l -> l.event().equals("jbd2_submit_inode_data") && l.text().equals("dev 8,1 ino " + ino));
        Rest.Line logging = commit.stream().filter(l -> l.event().equals("jbd2_commit_logging")).findFirst().orElseThrow();
        Rest.Line onDevice = rest.traceUntil("since=" + kworker.getFirst().timestamp(), l -> l.event().equals("block_rq_complete")
                && dataWrite(l.text()).equals(dataBlock)).stream().filter(l -> l.event().equals("block_rq_complete")
                && dataWrite(l.text()).equals(dataBlock)).findFirst().orElseThrow();
        assertThat(seconds(onDevice)).as("the data's completion (%s) before the commit's logging (%s)", onDevice.raw(), logging.raw())
                .isLessThan(seconds(logging));
        expireAsTheKernelDoes(admin);
    }

    @Test
    @Order(3)
    void oDsyncAndFdatasyncSyncTheDataOnly() throws Exception {
        Rest.Caller dsync = rest.as("seed-dsync", 3004);
        assertThat(dsync.open("/hello-dsync", List.of("O_CREAT", "O_RDWR", "O_DSYNC"), "0644").body()).isEqualTo("{\"fd\":3}");
        assertThat(dsync.write(3, HELLO).body()).isEqualTo("{\"written\":12}");
        assertThat(dsync.post("/v1/fds/3/close").body()).isEqualTo("{\"ret\":0}");
        model.put("/hello-dsync", HELLO);
        long ino = Long.parseLong(dsync.get("/v1/stat?path=/hello-dsync").field("inode"));
        // generic_write_sync of an O_DSYNC file: vfs_fsync_range(datasync 1), in the writer, after the write
        List<Rest.Line> writer = rest.traceUntil("task=seed-dsync", l -> l.event().equals("ext4_discard_preallocations"));
        List<String> events = names(writer, WritePathIT::pathEvent);
        assertThat(events).containsExactlyElementsOf(concat(createAndWrite(events),
                List.of("ext4_sync_file_enter"), writepagesOpen(events), List.of("ext4_sync_file_exit", "ext4_discard_preallocations")));
        assertThat(text(writer, "ext4_sync_file_enter")).isEqualTo("dev 8,1 ino " + ino + " parent 2 datasync 1 ");

        Rest.Caller fdatasync = rest.as("seed-fdatasync", 3005);
        assertThat(fdatasync.open("/hello-dsync", List.of("O_RDWR"), null).body()).isEqualTo("{\"fd\":3}");
        assertThat(fdatasync.write(3, 0, HELLO).body()).isEqualTo("{\"written\":12}");
        assertThat(fdatasync.post("/v1/fds/3/fdatasync").body()).isEqualTo("{\"ret\":0}");
        assertThat(fdatasync.post("/v1/fds/3/close").body()).isEqualTo("{\"ret\":0}");
        List<Rest.Line> overwrite = rest.traceUntil("task=seed-fdatasync", l -> l.event().equals("ext4_sync_file_exit"));
        assertThat(text(overwrite, "ext4_sync_file_enter")).isEqualTo("dev 8,1 ino " + ino + " parent 2 datasync 1 ");
        assertThat(text(overwrite, "ext4_sync_file_exit")).isEqualTo("dev 8,1 ino " + ino + " ret 0");
        assertThat(text(overwrite, "ext4_writepages")).contains("sync_mode 1 for_kupdate 0");
        print("fdatasync after an overwrite", overwrite, List.of());
        // the data-only sync needed no commit (the block was allocated and committed before), so nothing flushed the
        // device's cache for it: ext4_sync_file's own blkdev_issue_flush, an empty PREFLUSH write, in the writer
        assertThat(overwrite).anyMatch(l -> l.event().equals("block_bio_queue") && l.text().startsWith("8,0 FWS "));
    }

    // ---- the writer over the dirty limit ------------------------------------------------------------------------

    @Test
    @Order(3)
    void aWriterOverTheDirtyLimitIsThrottledAndWakesTheBackgroundFlusher() throws Exception {
        Rest.Caller admin = rest.as("test-throttle-admin", 3309);
        assertThat(admin.post("/v1/sync").body()).isEqualTo("{\"ret\":0}");
        // a page of background threshold and two of limit (freerun 1): a writer of 32 KiB writes is over both at once
        assertThat(admin.put("/v1/sysctl/vm.dirty_background_bytes", "4096").body()).contains("\"value\":\"4096\"");
        assertThat(admin.put("/v1/sysctl/vm.dirty_bytes", "8192").body()).contains("\"value\":\"8192\"");
        Rest.Caller writer = rest.as("test-throttle", 3310);
        byte[] chunk = new byte[8 * 4096];
        new Random(3310).nextBytes(chunk);
        byte[] file = new byte[20 * chunk.length];
        try {
            assertThat(writer.open("/throttled", List.of("O_CREAT", "O_RDWR"), "0644").body()).isEqualTo("{\"fd\":3}");
            // new pages each time: the task's nr_dirtied reaches its first nr_dirtied_pause (32 pages) at the fourth write
            for (int i = 0; i < 20; i++) {
                assertThat(writer.write(3, (long) i * chunk.length, chunk).body()).isEqualTo("{\"written\":32768}");
                System.arraycopy(chunk, 0, file, i * chunk.length, chunk.length);
            }
            List<Rest.Line> throttled = rest.traceUntil("task=test-throttle", l -> l.event().equals("balance_dirty_pages"));
            assertThat(text(throttled, "balance_dirty_pages")).startsWith("bdi 8:0: limit=2 ").endsWith(" cgroup=/");
            assertThat(text(throttled, "writeback_wake_background")).isEqualTo("bdi 8:0: cgroup=/");
            // the flusher woken by the writer runs a background pass
            String woken = throttled.stream().filter(l -> l.event().equals("writeback_wake_background")).findFirst()
                    .orElseThrow().timestamp();
            List<Rest.Line> kworker = rest.traceUntil("task=kworker&since=" + woken,
                    l -> l.event().equals("writeback_start") && l.text().contains("reason=background"));
            print("throttled writer", throttled.stream().filter(l -> l.event().startsWith("balance_dirty_pages")
                    || l.event().startsWith("writeback_wake") || l.event().equals("global_dirty_state")).toList(), kworker);
        } finally {
            admin.put("/v1/sysctl/vm.dirty_background_ratio", "10");
            admin.put("/v1/sysctl/vm.dirty_ratio", "20");
        }
        // writing a ratio clears the bytes, as in the kernel
        assertThat(admin.get("/v1/sysctl/vm.dirty_bytes").body()).contains("\"value\":\"0\"");
        assertThat(admin.get("/v1/sysctl/vm.dirty_background_bytes").body()).contains("\"value\":\"0\"");
        assertThat(writer.post("/v1/fds/3/fsync").body()).isEqualTo("{\"ret\":0}");
        assertThat(writer.post("/v1/fds/3/close").body()).isEqualTo("{\"ret\":0}");
        model.put("/throttled", file);
        assertThat(rest.as("test-read", 3311).readFile("/throttled")).isEqualTo(file);
    }

    // ---- writeback-service restarted ---------------------------------------------------------------------------------

    @Test
    @Order(3)
    void aRestartedWritebackRebuildsItsDirtyListFromExt4AndWritesTheFileBack() throws Exception {
        Rest.Caller admin = rest.as("test-wb-restart", 3301);
        assertThat(admin.post("/v1/sync").body()).isEqualTo("{\"ret\":0}");
        Rest.Caller demo = rest.as("wb-restart", 3302);
        assertThat(demo.open("/wb-restart", List.of("O_CREAT", "O_RDWR"), "0644").body()).isEqualTo("{\"fd\":3}");
        assertThat(demo.write(3, HELLO).body()).isEqualTo("{\"written\":12}");
        assertThat(demo.post("/v1/fds/3/close").body()).isEqualTo("{\"ret\":0}");
        model.put("/wb-restart", HELLO);
        long ino = Long.parseLong(demo.get("/v1/stat?path=/wb-restart").field("inode"));
        String dirtied = rest.traceUntil("task=wb-restart", l -> l.event().equals("ext4_da_write_end")).getLast().timestamp();

        // the flusher dies with the inode on its b_dirty list (its expiry is thirty seconds away), once it has
        // committed the offset of the sync above: a call served but not committed is served again by the next
        // instance, and a second sync would write the file before the rebuilt list does
        awaitCallsCommitted("writeback-service");
        assertThat(stack.kill("writeback-service")).isZero();
        assertThat(stack.start("writeback-service")).isZero();
        // the restarted flusher runs with the kernel's defaults again; a short expiry keeps the test short
        expireInOneSecond(admin);
        try {
            List<Rest.Line> kworker = rest.traceUntil("task=kworker&since=" + dirtied,
                    l -> l.event().equals("ext4_writepages_result") && l.text().startsWith("dev 8,1 ino " + ino + " "));
            assertThat(kworker).anyMatch(l -> l.event().equals("ext4_writepages")
                    && l.text().startsWith("dev 8,1 ino " + ino + " ") && l.text().contains("for_kupdate 1"));
        } finally {
            expireAsTheKernelDoes(admin);
        }
        assertThat(rest.as("test-read", 3303).readFile("/wb-restart")).isEqualTo(HELLO);
    }

    // ---- bad input -------------------------------------------------------------------------------------------------

    @Test
    @Order(4)
    void badCallsGetTheirErrnoAndChangeNothing() throws Exception {
        Rest.Caller bad = rest.as("test-errors", 3200);
        assertThat(bad.post("/v1/fds/7/fsync").errno()).isEqualTo("EBADF");
        assertThat(bad.open("/hello", List.of("O_CREAT", "O_EXCL", "O_RDWR"), "0644").errno()).isEqualTo("EEXIST");
        assertThat(bad.open("/missing", List.of("O_RDONLY"), null).errno()).isEqualTo("ENOENT");
        assertThat(bad.open("/hello/x", List.of("O_CREAT", "O_RDWR"), "0644").errno()).isEqualTo("ENOTDIR");
        assertThat(bad.open("/", List.of("O_RDWR"), null).errno()).isEqualTo("EISDIR");
        assertThat(bad.open("/" + "n".repeat(256), List.of("O_CREAT", "O_RDWR"), "0644").errno()).isEqualTo("ENAMETOOLONG");
        assertThat(bad.open("/x", List.of("O_BOGUS"), null).errno()).isEqualTo("EINVAL");
        Rest.Reply fd = bad.open("/hello", List.of("O_RDWR"), null);
        assertThat(fd.status()).isEqualTo(200);
        int n = fd.fd();
        assertThat(bad.write(n, 17_592_186_044_416L, "x".getBytes()).errno()).isEqualTo("EFBIG"); // 16 TiB
        assertThat(bad.write(n, -5, "x".getBytes()).errno()).isEqualTo("EINVAL");
        assertThat(bad.postJson("/v1/fds/" + n + "/ftruncate", "{\"length\":17592186044416}").errno()).isEqualTo("EFBIG");
        assertThat(bad.postJson("/v1/fds/" + n + "/ftruncate", "{\"length\":-1}").errno()).isEqualTo("EINVAL");
        assertThat(bad.postJson("/v1/fds/9/ftruncate", "{\"length\":0}").errno()).isEqualTo("EBADF");
        Rest.Reply readOnly = bad.open("/hello", List.of("O_RDONLY"), null);
        // open.c: an fd without FMODE_WRITE is EINVAL to ftruncate, not EBADF
        assertThat(bad.postJson("/v1/fds/" + readOnly.fd() + "/ftruncate", "{\"length\":0}").errno()).isEqualTo("EINVAL");
        assertThat(bad.post("/v1/fds/" + readOnly.fd() + "/close").body()).isEqualTo("{\"ret\":0}");
        assertThat(bad.post("/v1/fds/" + n + "/close").body()).isEqualTo("{\"ret\":0}");
        assertThat(bad.post("/v1/fds/" + n + "/close").errno()).isEqualTo("EBADF");
        assertThat(rest.as("test-read", 3201).readFile("/hello")).isEqualTo(HELLO);
    }

    @Test
    @Order(4)
    void aWriteIsItsBytesWhateverItsContentType() throws Exception {
        Rest.Caller curl = rest.as("test-form", 3202);
        int fd = curl.open("/form", List.of("O_CREAT", "O_RDWR"), "0644").fd();
        byte[] bytes = "a=b&c d%20\n".getBytes(StandardCharsets.US_ASCII);
        assertThat(curl.writeAsForm(fd, 0, bytes).body()).isEqualTo("{\"written\":" + bytes.length + "}");
        assertThat(curl.writeAsForm(fd, bytes.length, bytes).body()).isEqualTo("{\"written\":" + bytes.length + "}");
        assertThat(curl.post("/v1/fds/" + fd + "/close").body()).isEqualTo("{\"ret\":0}");
        byte[] both = Arrays.copyOf(bytes, 2 * bytes.length);
        System.arraycopy(bytes, 0, both, bytes.length, bytes.length);
        assertThat(curl.readFile("/form")).isEqualTo(both);
        model.put("/form", both);
    }

    // ---- a seeded random workload ------------------------------------------------------------------------------------

    @Test
    @Order(5)
    void aRandomWorkloadReadsBackAsItsModel() throws Exception {
        Random random = new Random(20261121);
        Rest.Caller w = rest.as("test-random", 3300);
        Map<Integer, String> open = new LinkedHashMap<>();
        java.util.Set<Integer> appending = new java.util.HashSet<>();
        for (int op = 0; op < 160; op++) {
            int kind = random.nextInt(10);
            if (open.isEmpty() || kind < 2) {
                String path = "/f" + random.nextInt(12);
                boolean trunc = random.nextInt(5) == 0;
                boolean append = random.nextInt(4) == 0;
                List<String> flags = new ArrayList<>(List.of("O_CREAT", "O_RDWR"));
                if (trunc) {
                    flags.add("O_TRUNC");
                }
                if (append) {
                    flags.add("O_APPEND");
                }
                if (random.nextInt(8) == 0) {
                    flags.add("O_DSYNC");
                }
                Rest.Reply r = w.open(path, flags, "0644");
                assertThat(r.status()).as(r.body()).isEqualTo(200);
                open.put(r.fd(), path);
                if (append) {
                    appending.add(r.fd());
                } else {
                    appending.remove(r.fd());
                }
                byte[] old = model.getOrDefault(path, new byte[0]);
                model.put(path, trunc ? new byte[0] : old);
            } else if (kind < 8) {
                int fd = pick(open, random);
                String path = open.get(fd);
                byte[] data = new byte[1 + random.nextInt(random.nextBoolean() ? 300 : 20_000)];
                random.nextBytes(data);
                byte[] file = model.get(path);
                // an O_APPEND fd writes at the end whatever the position (write(2) at f_pos here)
                boolean append = appending.contains(fd);
                long offset = append ? file.length : random.nextInt(4) == 0 ? random.nextInt(file.length + 50_000) : file.length;
                Rest.Reply r = w.write(fd, append ? -1 : offset, data);
                assertThat(r.body()).isEqualTo("{\"written\":" + data.length + "}");
                byte[] grown = Arrays.copyOf(file, (int) Math.max(file.length, offset + data.length));
                System.arraycopy(data, 0, grown, (int) offset, data.length);
                model.put(path, grown);
            } else if (kind == 8 && random.nextInt(3) == 0) {
                // ftruncate to a random length: shorter cuts inside a page or a block run, longer leaves a hole
                int fd = pick(open, random);
                String path = open.get(fd);
                byte[] file = model.get(path);
                int length = random.nextBoolean() ? random.nextInt(file.length + 1) : file.length + random.nextInt(30_000);
                assertThat(w.postJson("/v1/fds/" + fd + "/ftruncate", "{\"length\":" + length + "}").body()).isEqualTo("{\"ret\":0}");
                model.put(path, Arrays.copyOf(file, length));
            } else if (kind == 8) {
                int fd = pick(open, random);
                assertThat(w.post("/v1/fds/" + fd + (random.nextBoolean() ? "/fsync" : "/fdatasync")).body()).isEqualTo("{\"ret\":0}");
            } else {
                int fd = pick(open, random);
                assertThat(w.post("/v1/fds/" + fd + "/close").body()).isEqualTo("{\"ret\":0}");
                open.remove(fd);
            }
        }
        for (int fd : open.keySet()) {
            w.post("/v1/fds/" + fd + "/close");
        }
        for (Map.Entry<String, byte[]> f : model.entrySet()) {
            assertThat(w.readFile(f.getKey())).as(f.getKey()).isEqualTo(f.getValue());
            assertThat(w.get("/v1/stat?path=" + f.getKey()).body()).contains("\"size\":" + f.getValue().length);
        }
    }

    private static int pick(Map<Integer, String> open, Random random) {
        return new ArrayList<>(open.keySet()).get(random.nextInt(open.size()));
    }

    @Test
    @Order(6)
    void mkdirAndUnlinkOverRestLeaveATreeE2fsckAccepts() throws Exception {
        Rest.Caller w = rest.as("test-mkdir", 3350);
        assertThat(w.postJson("/v1/mkdir", "{\"path\":\"/logs\",\"mode\":\"0750\"}").body()).isEqualTo("{\"ret\":0}");
        assertThat(w.postJson("/v1/mkdir", "{\"path\":\"/logs\"}").body()).contains("\"errno\":\"EEXIST\"");
        assertThat(w.get("/v1/stat?path=/logs").body()).contains("\"mode\":\"0040750\"");
        for (String name : List.of("a", "b")) {
            Rest.Reply open = w.open("/logs/" + name, List.of("O_CREAT", "O_WRONLY"), "0644");
            byte[] data = ("log " + name + "\n").getBytes(StandardCharsets.UTF_8);
            assertThat(w.write(open.fd(), data).body()).isEqualTo("{\"written\":" + data.length + "}");
            assertThat(w.post("/v1/fds/" + open.fd() + "/close").body()).isEqualTo("{\"ret\":0}");
            model.put("/logs/" + name, data);
        }
        assertThat(w.postJson("/v1/unlink", "{\"path\":\"/logs/a\"}").body()).isEqualTo("{\"ret\":0}");
        model.remove("/logs/a");
        assertThat(w.get("/v1/stat?path=/logs/a").body()).contains("\"errno\":\"ENOENT\"");
        assertThat(w.readFile("/logs/b")).isEqualTo(model.get("/logs/b"));
        assertThat(w.postJson("/v1/unlink", "{\"path\":\"/logs\"}").body()).contains("\"errno\":\"EISDIR\"");
        assertThat(w.postJson("/v1/mkdir", "{\"path\":\"/hello/x\"}").body()).contains("\"errno\":\"ENOTDIR\"");
        // the disk truth below: e2fsck accepts the tree, and debugfs reads /logs/b
    }

    // ---- direct I/O (4.x): the paths of a synchronous O_DIRECT write, an asynchronous one, buffered writes between -----

    static final int BLOCK = 4096;
    static final Random DIRECT_RANDOM = new Random(21);

    @Test
    @Order(6)
    void aSynchronousDirectWriteTakesItsPathByWhereItLands() throws Exception {
        Rest.Caller dio = rest.as("dio", 4001);
        int fd = dio.open("/direct", List.of("O_CREAT", "O_RDWR", "O_DIRECT"), "0644").fd();

        // past the end: blocks allocated initialized (CREATE) while the inode is on the orphan list
        byte[] first = directBytes(2 * BLOCK);
        Rest.Reply extend = dio.write(fd, 0, first);
        assertThat(extend.body()).isEqualTo("{\"written\":8192}");
        List<Rest.Line> ext = directCallTrace(extend);
        assertThat(directNames(ext)).containsSubsequence("ext4_direct_IO_enter", "ext4_ext_map_blocks_enter",
                "ext4_request_blocks", "ext4_ext_map_blocks_exit", "block_rq_issue", "ext4_direct_IO_exit");
        assertThat(directText(ext, "ext4_ext_map_blocks_enter")).anyMatch(t -> t.endsWith("flags CREATE"));
        assertThat(directText(ext, "block_rq_issue")).as("the data bios are the writer's, sync").allMatch(t -> t.contains(" WS "));
        assertThat(ext).filteredOn(l -> l.event().equals("block_rq_issue")).allMatch(l -> l.comm().equals("dio"));
        assertThat(directText(ext, "ext4_direct_IO_exit")).singleElement().satisfies(t -> assertThat(t).endsWith("ret 8192"));
        model.put("/direct", first);

        // into a hole inside i_size: unwritten, then converted in the writer
        assertThat(dio.postJson("/v1/fds/" + fd + "/ftruncate", "{\"length\":32768}").status()).isEqualTo(200);
        byte[] hole = directBytes(BLOCK);
        Rest.Reply inHole = dio.write(fd, 4L * BLOCK, hole);
        assertThat(inHole.body()).isEqualTo("{\"written\":4096}");
        List<Rest.Line> unwritten = directCallTrace(inHole);
        assertThat(directText(unwritten, "ext4_ext_map_blocks_enter")).anyMatch(t -> t.endsWith("flags CREATE|UNWRIT|PRE_IO"))
                .anyMatch(t -> t.contains("flags CREATE|UNWRIT|CONVERT"));
        assertThat(directNames(unwritten)).containsSubsequence("ext4_direct_IO_enter", "ext4_ext_map_blocks_enter",
                "block_rq_issue", "ext4_ext_handle_unwritten_extents", "ext4_direct_IO_exit");
        byte[] expected = Arrays.copyOf(first, 32768);
        System.arraycopy(hole, 0, expected, 4 * BLOCK, BLOCK);
        model.put("/direct", expected);

        // over written blocks: nothing allocated
        byte[] over = directBytes(BLOCK);
        Rest.Reply overwrite = dio.write(fd, 0, over);
        assertThat(overwrite.body()).isEqualTo("{\"written\":4096}");
        assertThat(directNames(directCallTrace(overwrite))).contains("ext4_direct_IO_enter", "block_rq_issue")
                .doesNotContain("ext4_request_blocks", "ext4_ext_handle_unwritten_extents");
        System.arraycopy(over, 0, expected, 0, BLOCK);

        // misaligned: EINVAL, and nothing changes
        Rest.Reply bad = dio.write(fd, 1, directBytes(100));
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.errno()).isEqualTo("EINVAL");
        assertThat(dio.post("/v1/fds/" + fd + "/close").body()).isEqualTo("{\"ret\":0}");
        assertThat(rest.as("dio-reader", 4009).readFile("/direct")).isEqualTo(expected);
    }

    @Test
    @Order(6)
    void bufferedWritesBetweenTheDirectOnes() throws Exception {
        Rest.Caller buf = rest.as("buffered", 4003);
        int fd = buf.open("/buffered", List.of("O_CREAT", "O_RDWR"), "0644").fd();
        byte[] data = directBytes(3 * BLOCK + 17);
        assertThat(buf.write(fd, data).written()).isEqualTo(data.length);
        assertThat(buf.post("/v1/fds/" + fd + "/fsync").body()).isEqualTo("{\"ret\":0}");
        assertThat(buf.post("/v1/fds/" + fd + "/close").body()).isEqualTo("{\"ret\":0}");
        model.put("/buffered", data);
    }

    @Test
    @Order(6)
    void anAsynchronousDirectWriteIsReapedOnceTheDioWorkerConvertedItsExtent() throws Exception {
        Rest.Caller aio = rest.as("aio", 4002);
        int fd = aio.open("/aio", List.of("O_CREAT", "O_RDWR", "O_DIRECT"), "0644").fd();
        assertThat(aio.postJson("/v1/fds/" + fd + "/ftruncate", "{\"length\":65536}").status()).isEqualTo(200);
        byte[] data = directBytes(2 * BLOCK);
        Rest.Reply submitted = rest.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                        + settings.port(Component.SERVICES.getFirst()) + "/v1/fds/" + fd + "/io_submit?offset=16384"))
                .header("X-Comm", "aio").header("X-Pid", "4002").header("Content-Type", "application/octet-stream")
                .timeout(Duration.ofSeconds(60)).POST(HttpRequest.BodyPublishers.ofByteArray(data)));
        assertThat(submitted.body()).isEqualTo("{\"id\":1}");
        Rest.Reply events = aio.get("/v1/io_getevents?min_nr=1&nr=8&timeout_ms=10000");
        assertThat(events.body()).isEqualTo("{\"events\":[{\"id\":1,\"fd\":" + fd + ",\"res\":8192}]}");

        List<Rest.Line> writer = directCallTrace(submitted, "ext4_direct_IO_exit", "ext4_ext_handle_unwritten_extents");
        assertThat(directText(writer, "ext4_direct_IO_exit")).as("queued: -EIOCBQUEUED").anyMatch(t -> t.endsWith("ret -529"));
        assertThat(writer).filteredOn(l -> l.event().equals("ext4_ext_handle_unwritten_extents"))
                .as("the conversion is the dio worker's").allMatch(l -> l.comm().equals("kworker/1:0")).isNotEmpty();
        byte[] expected = new byte[65536];
        System.arraycopy(data, 0, expected, 16384, data.length);
        assertThat(aio.post("/v1/fds/" + fd + "/close").body()).isEqualTo("{\"ret\":0}");
        assertThat(rest.as("dio-reader", 4009).readFile("/aio")).isEqualTo(expected);
        model.put("/aio", expected);
    }

    // ---- disk truth --------------------------------------------------------------------------------------------------

    @Test
    @Order(7)
    void afterSyncTheImageHoldsEveryFile() throws Exception {
        assertThat(rest.as("test-sync", 3400).post("/v1/sync").body()).isEqualTo("{\"ret\":0}");
        Path copy = replayedCopy("after-sync");
        E2fsprogs.Result fsck = E2fsprogs.fsckReadOnly(copy);
        assertThat(fsck.exit()).as(fsck.output()).isZero();
        assertThat(E2fsprogs.debugfs(copy, "cat /hello").stdout()).isEqualTo(HELLO);
        for (Map.Entry<String, byte[]> f : model.entrySet()) {
            assertThat(E2fsprogs.debugfs(copy, "cat " + f.getKey()).stdout()).as(f.getKey()).isEqualTo(f.getValue());
        }
    }

    /**
     * The image as a crash right now would leave it, after its journal was replayed and nothing repaired: the stack
     * keeps running (and its volatile write cache is not in the file; what sync made durable is).
     */
    static Path replayedCopy(String name) throws IOException {
        Path copy = settings.home().resolve(name + ".img");
        Files.copy(settings.image(), copy, StandardCopyOption.REPLACE_EXISTING);
        E2fsprogs.Result replay = E2fsprogs.replayJournal(copy);
        assertThat(replay.exit()).as(replay.output()).isLessThanOrEqualTo(1);
        return copy;
    }

    // ---- benchmark (prints, asserts nothing about speed) -------------------------------------------------------------

    @Test
    @Order(8)
    void benchmarkAtTheGateway() throws Exception {
        GatewayBenchmark.Report report = new GatewayBenchmark(settings.port(Component.SERVICES.getFirst()),
                settings.port(Component.SERVICES.getLast()), 5000, Duration.ofSeconds(60), Duration.ofSeconds(4),
                stack.processes()).run();
        System.out.println(report);
        assertThat(report.fsyncs1()).isPositive();
        assertThat(report.cpuPerFsync().msPerOp()).as("every process of the stack has its CPU time read")
                .containsOnlyKeys(stack.processes().keySet());
        assertThat(report.connections()).as("the gateway keeps a client's connection open for all its calls")
                .isEqualTo(report.callers());
    }

    // ---- a full device ------------------------------------------------------------------------------------------------

    @Test
    @Order(9)
    void aFullDeviceIsEnospcAtWriteAndLosesNothingAcknowledged() throws Exception {
        Rest.Caller filler = rest.as("test-enospc", 3500);
        int fd = filler.open("/big", List.of("O_CREAT", "O_WRONLY"), "0644").fd();
        byte[] chunk = new byte[4 << 20];
        new Random(7).nextBytes(chunk);
        long acknowledged = 0;
        String errno = null;
        for (int i = 0; i < 40 && errno == null; i++) {
            Rest.Reply r = filler.write(fd, -1, chunk);
            if (r.status() == 200) {
                acknowledged += r.written();
                if (r.written() < chunk.length) {
                    errno = filler.write(fd, -1, chunk).errno(); // a short write, then the error
                }
            } else {
                errno = r.errno();
            }
        }
        assertThat(errno).isEqualTo("ENOSPC");
        // ext4_nonda_switch: near a full device the writer left delalloc for ext4_write_begin, which allocates at once
        rest.traceUntil("task=test-enospc", l -> l.event().equals("ext4_write_begin"));
        assertThat(filler.post("/v1/fds/" + fd + "/fsync").body()).isEqualTo("{\"ret\":0}");
        filler.post("/v1/fds/" + fd + "/close");
        assertThat(rest.as("test-enospc", 3500).get("/v1/stat?path=/big").body()).contains("\"size\":" + acknowledged);
        assertThat(rest.as("test-sync", 3400).post("/v1/sync").body()).isEqualTo("{\"ret\":0}");
        Path copy = replayedCopy("full");
        assertThat(E2fsprogs.fsckReadOnly(copy).exit()).isZero();
        byte[] big = E2fsprogs.debugfs(copy, "cat /big").stdout();
        assertThat(big.length).isEqualTo(acknowledged);
        for (long off = 0; off < acknowledged; off += chunk.length) {
            int n = (int) Math.min(chunk.length, acknowledged - off);
            assertThat(Arrays.copyOfRange(big, (int) off, (int) off + n)).isEqualTo(Arrays.copyOf(chunk, n));
        }
    }

    @Test
    @Order(10)
    void downUnmountsCleanly() throws Exception {
        assertThat(stack.down()).isZero();
        E2fsprogs.Result fsck = E2fsprogs.fsckReadOnly(settings.image());
        assertThat(fsck.exit()).as(fsck.output()).isZero();
        // jbd2_journal_flush ends with jbd2_mark_journal_empty: no log left behind a clean needs_recovery flag
        assertThat(fsck.output()).doesNotContain("journal has data");
        for (Map.Entry<String, byte[]> f : model.entrySet()) {
            assertThat(E2fsprogs.debugfs(settings.image(), "cat " + f.getKey()).stdout()).as(f.getKey()).isEqualTo(f.getValue());
        }
    }

    /** Up again on the same disk, mounted data=journal this time (the next test's mode): the files are all there. */
    @Test
    @Order(11)
    void upAgainMountsTheSameFilesystem() throws Exception {
        upMountedWith("data=journal");
        awaitExt4Log("mounted filesystem with journalled data mode. Opts: data=journal");
        assertThat(Files.readString(settings.log(Component.byName("ext4-service").orElseThrow())))
                .contains("EXT4-fs: Warning: mounting with data=journal disables delayed allocation and O_DIRECT support!");
        Rest.Caller again = rest.as("test-again", 3600);
        assertThat(again.readFile("/hello")).isEqualTo(HELLO);
        assertThat(again.readFile("/hello-nosync")).isEqualTo(HELLO);
    }

    // ---- the data modes, each mounted by an up or a remount of its own ----------------------------------------------

    /** The stack up again on the same disk, ext4-service mounting with {@code options} (ext4sim.ext4.mount-options). */
    static void upMountedWith(String options) throws Exception {
        stack.down(); // a test that failed before its own down leaves the stack of the previous mount running
        stack = new Stack(new Settings(settings.root(), settings.home(), settings.httpPort(), settings.kafkaPort(),
                settings.prometheusPort(), "-Dext4sim.ext4.mount-options=" + options), new PrintStream(output, true, StandardCharsets.UTF_8));
        assertThat(stack.up()).as(output.toString(StandardCharsets.UTF_8)).isZero();
    }

    /** Until ext4-service's log holds {@code line} (the mount logs it as it starts serving), within a deadline. */
    static void awaitExt4Log(String line) throws Exception {
        Path log = settings.log(Component.byName("ext4-service").orElseThrow());
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!Files.readString(log).contains(line) && System.nanoTime() < deadline) {
            Thread.sleep(100); // polling pace for the log file; the deadline decides
        }
        assertThat(Files.readString(log)).contains(line);
    }

    /**
     * data=journal: write() logs each page's buffer in its write_begin handle and dirties no page, fsync is a forced
     * commit, O_DIRECT falls back to that buffered path without asking for alignment; the data is then in the journal
     * alone (a block starting with the JBD2 magic is escaped there), and both e2fsck's replay and ours bring it home.
     */
    @Test
    @Order(12)
    void dataJournalLogsTheFileDataAndEveryReplayBringsItHome() throws Exception {
        // mounted data=journal by the up before; room on the disk the full-device test filled: its blocks are free for
        // allocation once the unlink committed
        Rest.Caller admin = rest.as("test-journal-admin", 4100);
        assertThat(admin.postJson("/v1/unlink", "{\"path\":\"/big\"}").body()).isEqualTo("{\"ret\":0}");
        assertThat(admin.post("/v1/sync").body()).isEqualTo("{\"ret\":0}");
        Rest.Caller dj = rest.as("journalled", 4101);
        int fd = dj.open("/journalled", List.of("O_CREAT", "O_RDWR"), "0644").fd();
        byte[] expected = directBytes(2 * BLOCK);
        // jbd2's magic at the start of a data block: the commit must escape it in the log, a replay restore it
        System.arraycopy(new byte[]{(byte) 0xc0, 0x3b, 0x39, (byte) 0x98}, 0, expected, BLOCK, 4);
        assertThat(dj.write(fd, 0, expected).body()).isEqualTo("{\"written\":8192}");
        Rest.Reply fsync = dj.post("/v1/fds/" + fd + "/fsync");
        assertThat(fsync.body()).isEqualTo("{\"ret\":0}");
        List<Rest.Line> writer = rest.traceUntil("task=journalled", l -> l.event().equals("ext4_sync_file_exit"));
        assertThat(names(writer, WritePathIT::pathEvent)).containsSubsequence("ext4_write_begin", "ext4_journal_start",
                        "ext4_journalled_write_end", "ext4_write_begin", "ext4_journal_start", "ext4_journalled_write_end",
                        "ext4_sync_file_enter", "ext4_sync_file_exit")
                .doesNotContain("ext4_da_write_begin", "writeback_dirty_page");
        assertThat(text(writer, "ext4_journalled_write_end")).matches("dev 8,1 ino \\d+ pos 0 len 4096 copied 4096");
        // the forced commit logs the data blocks and writes no ordered data first
        List<Rest.Line> commit = rest.traceUntil("trace=" + fsync.traceId(), l -> l.event().equals("jbd2_end_commit"));
        assertThat(names(commit, l -> l.event().startsWith("jbd2_"))).contains("jbd2_commit_logging")
                .doesNotContain("jbd2_submit_inode_data");

        // O_DIRECT: ext4_direct_IO returns 0 before its tracepoint, so a misaligned write is taken, buffered
        int direct = dj.open("/journalled", List.of("O_RDWR", "O_DIRECT"), null).fd();
        Rest.Reply misaligned = dj.write(direct, 100, "direct".getBytes(StandardCharsets.US_ASCII));
        assertThat(misaligned.body()).isEqualTo("{\"written\":6}");
        System.arraycopy("direct".getBytes(StandardCharsets.US_ASCII), 0, expected, 100, 6);
        assertThat(directNames(rest.traceUntil("trace=" + misaligned.traceId(), l -> l.event().equals("ext4_journalled_write_end"))))
                .doesNotContain("ext4_direct_IO_enter");
        assertThat(dj.post("/v1/fds/" + direct + "/fsync").body()).isEqualTo("{\"ret\":0}");
        assertThat(dj.post("/v1/fds/" + direct + "/close").body()).isEqualTo("{\"ret\":0}");
        assertThat(dj.post("/v1/fds/" + fd + "/close").body()).isEqualTo("{\"ret\":0}");

        // a crash now: e2fsck's replay finds the data in the log
        Path copy = replayedCopy("journalled");
        E2fsprogs.Result fsck = E2fsprogs.fsckReadOnly(copy);
        assertThat(fsck.exit()).as(fsck.output()).isZero();
        assertThat(E2fsprogs.debugfs(copy, "cat /journalled").stdout()).isEqualTo(expected);

        // and a real one: power cut, journal and filesystem killed; jbd2-service recovers at its start, and the new
        // mount reads the file from its home blocks
        List<String> crashed = List.of("blockdev-service", "jbd2-service", "ext4-service");
        for (String service : crashed) {
            assertThat(stack.kill(service)).isZero();
        }
        for (String service : crashed) {
            assertThat(stack.start(service)).as(output.toString(StandardCharsets.UTF_8)).isZero();
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        byte[] read = null;
        while (read == null && System.nanoTime() < deadline) {
            try {
                read = rest.as("journalled-read", 4102).readFile("/journalled");
            } catch (AssertionError | IOException serviceStillStarting) {
                Thread.sleep(200); // polling pace while ext4-service mounts again; the deadline decides
            }
        }
        assertThat(read).as("/journalled read back after the crash").isEqualTo(expected);
        assertThat(Files.readString(settings.log(Component.byName("jbd2-service").orElseThrow())))
                .contains("recovering journal");
        model.put("/journalled", expected); // on the image once the next test's unmount checkpointed it home
    }

    /**
     * ext4-service alone stopped, which unmounts (the journal flushed and checkpointed home), and started again
     * mounting with {@code options}: umount and mount -o, the rest of the stack running on.
     */
    static void remountWith(String options) throws Exception {
        assertThat(stack.supervisor().stop(Component.byName("ext4-service").orElseThrow(), Duration.ofSeconds(30))).isTrue();
        stack = new Stack(new Settings(settings.root(), settings.home(), settings.httpPort(), settings.kafkaPort(),
                settings.prometheusPort(), "-Dext4sim.ext4.mount-options=" + options), new PrintStream(output, true, StandardCharsets.UTF_8));
        assertThat(stack.start("ext4-service")).as(output.toString(StandardCharsets.UTF_8)).isZero();
    }

    /**
     * Remounted nodelalloc with data=writeback: write() allocates with CREATE in ext4_write_begin, and no commit orders
     * data; the data=journal file is home after that mount's clean unmount, as e2fsck and debugfs read it at the end.
     */
    @Test
    @Order(13)
    void nodelallocAndDataWritebackAllocateInWriteAndOrderNothing() throws Exception {
        remountWith("nodelalloc,data=writeback");
        awaitExt4Log("mounted filesystem with writeback data mode. Opts: nodelalloc,data=writeback");
        Rest.Caller nd = rest.as("nodelalloc", 4201);
        int fd = nd.open("/nodelalloc", List.of("O_CREAT", "O_RDWR"), "0644").fd();
        byte[] bytes = directBytes(BLOCK);
        assertThat(nd.write(fd, 0, bytes).body()).isEqualTo("{\"written\":4096}");
        Rest.Reply fsync = nd.post("/v1/fds/" + fd + "/fsync");
        assertThat(fsync.body()).isEqualTo("{\"ret\":0}");
        List<Rest.Line> writer = rest.traceUntil("task=nodelalloc", l -> l.event().equals("ext4_sync_file_exit"));
        assertThat(names(writer, WritePathIT::pathEvent)).containsSubsequence("ext4_write_begin", "ext4_journal_start",
                "ext4_ext_map_blocks_enter", "ext4_request_blocks", "ext4_write_end", "ext4_sync_file_enter", "ext4_writepages")
                .doesNotContain("ext4_da_write_begin", "ext4_da_reserve_space");
        assertThat(directText(writer, "ext4_ext_map_blocks_enter")).anyMatch(t -> t.endsWith("flags CREATE"));
        List<Rest.Line> commit = rest.traceUntil("trace=" + fsync.traceId(), l -> l.event().equals("jbd2_end_commit"));
        assertThat(names(commit, l -> l.event().startsWith("jbd2_"))).doesNotContain("jbd2_submit_inode_data");
        assertThat(nd.post("/v1/fds/" + fd + "/close").body()).isEqualTo("{\"ret\":0}");
        assertThat(nd.readFile("/journalled")).isEqualTo(model.get("/journalled"));
        assertThat(stack.down()).isZero();
        E2fsprogs.Result fsck = E2fsprogs.fsckReadOnly(settings.image());
        assertThat(fsck.exit()).as(fsck.output()).isZero();
        assertThat(E2fsprogs.debugfs(settings.image(), "cat /nodelalloc").stdout()).isEqualTo(bytes);
        assertThat(E2fsprogs.debugfs(settings.image(), "cat /journalled").stdout()).isEqualTo(model.get("/journalled"));
    }

    // ---- helpers -----------------------------------------------------------------------------------------------------

    /** An event of the seed call graphs: ext4, jbd2 and writeback (the block and UFS events are the device's story). */
    static boolean pathEvent(Rest.Line l) {
        return l.event().startsWith("ext4_") && !l.event().startsWith("ext4sim_") || l.event().startsWith("jbd2_")
                || l.event().startsWith("writeback_") || l.event().equals("global_dirty_state");
    }

    static List<String> writepages(boolean closed) {
        return concat(List.of("ext4_writepages", "ext4_journal_start", "jbd2_handle_start",
                "ext4_da_write_pages", "ext4_da_write_pages_extent", "ext4_es_lookup_extent_enter", "ext4_es_lookup_extent_exit",
                "ext4_ext_map_blocks_enter", "ext4_request_blocks", "ext4_mballoc_alloc", "ext4_allocate_blocks",
                "ext4_mark_inode_dirty", "ext4_get_reserved_cluster_alloc", "ext4_da_update_reserve_space",
                "writeback_mark_inode_dirty", "writeback_dirty_inode_start", "ext4_journal_start", "ext4_mark_inode_dirty",
                "writeback_dirty_inode"), closed ? List.of("ext4_discard_preallocations") : List.of(),
                List.of("ext4_ext_map_blocks_exit", "ext4_es_insert_extent",
                "ext4_mark_inode_dirty", "jbd2_handle_stats", "ext4_journal_start", "jbd2_handle_start", "ext4_da_write_pages",
                "jbd2_handle_stats", "ext4_writepages_result"));
    }

    /**
     * The lookup, CREATE then WRITE, with the optional file_update_time step between them as the trace shows it. The
     * lookup maps the root's block 0 from the extent tree only when the mount has not looked it up yet.
     */
    static List<String> createAndWrite(List<String> actual) {
        List<String> lookup = actual.size() > 2 && actual.get(2).equals("ext4_ext_map_blocks_enter") ? LOOKUP_MISS : LOOKUP_HIT;
        int created = lookup.size() + CREATE.size();
        if (actual.size() > created && actual.get(created).equals("writeback_mark_inode_dirty")) {
            List<String> write = new ArrayList<>(WRITE);
            write.remove("writeback_dirty_inode_enqueue");
            return concat(lookup, CREATE, UPDATE_TIME, write);
        }
        return concat(lookup, CREATE, WRITE);
    }

    /**
     * WRITEPAGES of a small file still open for writing: its block comes from the locality group preallocation of
     * the writer's cpu, which this allocation creates (ext4_mb_new_group_pa) or an earlier one on that cpu did.
     */
    static List<String> writepagesOpen(List<String> actual) {
        List<String> out = new ArrayList<>(WRITEPAGES);
        int at = out.indexOf("ext4_mballoc_alloc");
        if (actual.contains("ext4_mballoc_prealloc")) {
            out.set(at, "ext4_mballoc_prealloc");
        } else {
            out.add(at, "ext4_mb_new_group_pa");
        }
        return out;
    }

    @SafeVarargs
    static List<String> concat(List<String>... parts) {
        List<String> all = new ArrayList<>();
        for (List<String> p : parts) {
            all.addAll(p);
        }
        return all;
    }

    static int indexOf(List<Rest.Line> lines, Predicate<Rest.Line> p) {
        for (int i = 0; i < lines.size(); i++) {
            if (p.test(lines.get(i))) {
                return i;
            }
        }
        throw new AssertionError("no such line");
    }

    /** The flusher's pass that wrote {@code ours}: from its writeback_start to its writeback_pages_written, or null. */
    static List<Rest.Line> flusherPass(List<Rest.Line> lines, Predicate<Rest.Line> ours) {
        int result = lines.indexOf(lines.stream().filter(ours).findFirst().orElse(null));
        if (result < 0 || lines.subList(result, lines.size()).stream().noneMatch(l -> l.event().equals("writeback_pages_written"))) {
            return null;
        }
        int start = lastIndexBefore(lines, result, l -> l.event().equals("writeback_start"));
        int end = indexOf(lines.subList(result, lines.size()), l -> l.event().equals("writeback_pages_written")) + result;
        return lines.subList(start, end + 1);
    }

    /** vm.dirty_expire_centisecs and vm.dirty_writeback_centisecs at one second, so a test waits for the flusher briefly. */
    /** Until {@code service}'s consumer group has committed every call on its topic, within a deadline. */
    static void awaitCallsCommitted(String service) throws Exception {
        TopicPartition calls = new TopicPartition("ext4sim." + service + ".calls", 0);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrap()))) {
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (true) {
                long end = admin.listOffsets(Map.of(calls, OffsetSpec.latest())).partitionResult(calls).get().offset();
                OffsetAndMetadata committed = admin.listConsumerGroupOffsets(service).partitionsToOffsetAndMetadata()
                        .get().get(calls);
                if (committed != null && committed.offset() >= end) {
                    return;
                }
                assertThat(System.nanoTime()).as("%s committed %s of %d calls within 30 s", service, committed, end)
                        .isLessThan(deadline);
                Thread.sleep(100); // polling pace of a condition with a deadline
            }
        }
    }

    static void expireInOneSecond(Rest.Caller admin) throws Exception {
        assertThat(admin.put("/v1/sysctl/vm.dirty_expire_centisecs", "100").body()).contains("\"value\":\"100\"");
        assertThat(admin.put("/v1/sysctl/vm.dirty_writeback_centisecs", "100").body()).contains("\"value\":\"100\"");
    }

    /** Back to the kernel's defaults: thirty seconds' expiry, a pass every five. */
    static void expireAsTheKernelDoes(Rest.Caller admin) throws Exception {
        admin.put("/v1/sysctl/vm.dirty_expire_centisecs", "3000");
        admin.put("/v1/sysctl/vm.dirty_writeback_centisecs", "500");
    }

    /** The value after {@code name} in a tracepoint's text ("tid 4" gives "4"). */
    static String field(String text, String name) {
        Matcher m = Pattern.compile("\\b" + name + "[ =](\\S+)").matcher(text);
        if (!m.find()) {
            throw new AssertionError("no " + name + " in '" + text + "'");
        }
        return m.group(1);
    }

    /** "16472 + 8" of a block_rq_issue or block_rq_complete line: the request's sector and length. */
    static String dataWrite(String text) {
        Matcher m = Pattern.compile("(\\d+ \\+ \\d+)").matcher(text);
        if (!m.find()) {
            throw new AssertionError("no sector + length in '" + text + "'");
        }
        return m.group(1);
    }

    /** A line's timestamp in seconds since boot. */
    static double seconds(Rest.Line line) {
        return Double.parseDouble(line.timestamp());
    }

    static long count(List<Rest.Line> lines, String event) {
        return lines.stream().filter(l -> l.event().equals(event)).count();
    }

    static int lastIndexBefore(List<Rest.Line> lines, int before, Predicate<Rest.Line> p) {
        for (int i = before; i >= 0; i--) {
            if (p.test(lines.get(i))) {
                return i;
            }
        }
        return 0;
    }

    /**
     * The jbd2 thread's events of one commit without its log-block mapping and its t_forget pass, which are checked
     * here: every log block (run_stats' blocks_logged of them) is one ext4_map_blocks on inode 8 after
     * jbd2_commit_logging (the seed logs no revoke block), a lookup miss answered by the extent tree or a hit; then,
     * before jbd2_run_stats, older transactions the commit took every block of are dropped (checkpoint_stats,
     * drop_transaction) and each committed buffer that was clean dirties its page of the block device inode
     * (writeback_dirty_page, writeback_mark_inode_dirty, the enqueue if that inode was clean).
     */
    static List<String> commitPhases(List<Rest.Line> commit) {
        List<Rest.Line> jbd2 = commit.stream().filter(l -> l.comm().equals("jbd2/sda1-8") && pathEvent(l)).toList();
        List<String> all = names(jbd2, l -> true);
        int logging = all.indexOf("jbd2_commit_logging");
        int runStats = all.indexOf("jbd2_run_stats");
        List<String> tail = all.subList(logging + 1, runStats);
        List<String> mapping = tail.stream().filter(e -> e.startsWith("ext4_")).toList();
        List<String> exposed = tail.stream().filter(e -> e.startsWith("writeback_")).toList();
        assertThat(String.join(" ", exposed))
                .matches("(writeback_dirty_page writeback_mark_inode_dirty ?(writeback_dirty_inode_enqueue ?)?)*");
        if (!exposed.isEmpty()) {
            assertThat(tail.subList(tail.indexOf(exposed.getFirst()), tail.size())).noneMatch(e -> e.startsWith("ext4_"));
        }
        assertThat(jbd2).filteredOn(l -> l.event().startsWith("writeback_"))
                .allSatisfy(l -> assertThat(l.text()).matches("(bdi 8:0: ino=0 |dev 0,2 ino 0 ).*"));
        int logged = Integer.parseInt(field(text(jbd2, "jbd2_run_stats"), "blocks_logged"));
        List<String> miss = List.of("ext4_es_lookup_extent_enter", "ext4_es_lookup_extent_exit", "ext4_ext_map_blocks_enter",
                "ext4_ext_show_extent", "ext4_ext_map_blocks_exit", "ext4_es_insert_extent");
        int blocks = 0;
        for (int i = 0; i < mapping.size(); blocks++) {
            boolean hit = mapping.size() - i >= 2 && mapping.subList(i, i + 2).equals(miss.subList(0, 2))
                    && (i + 2 == mapping.size() || mapping.get(i + 2).equals(miss.getFirst()));
            if (!hit) {
                assertThat(mapping.subList(i, Math.min(mapping.size(), i + miss.size()))).as("log block %d", blocks)
                        .containsExactlyElementsOf(miss);
            }
            i += hit ? 2 : miss.size();
        }
        assertThat(blocks).as("log blocks mapped").isEqualTo(logged);
        assertThat(jbd2).filteredOn(l -> l.event().startsWith("ext4_"))
                .allSatisfy(l -> assertThat(l.text()).startsWith("dev 8,1 ino 8 "));
        List<String> drops = tail.stream().filter(e -> e.startsWith("jbd2_")).toList();
        assertThat(String.join(" ", drops)).matches("(jbd2_checkpoint_stats jbd2_drop_transaction ?)*");
        return all.stream().filter(e -> e.startsWith("jbd2_") && !drops.contains(e)).toList();
    }

    static List<String> names(List<Rest.Line> lines, Predicate<Rest.Line> keep) {
        return lines.stream().filter(keep).map(Rest.Line::event).toList();
    }

    static String text(List<Rest.Line> lines, String event) {
        return lines.stream().filter(l -> l.event().equals(event)).findFirst().orElseThrow(
                () -> new AssertionError("no " + event + " in\n" + String.join("\n", lines.stream().map(Rest.Line::raw).toList()))).text();
    }

    static void print(String title, List<Rest.Line> a, List<Rest.Line> b) {
        StringBuilder s = new StringBuilder("\n==== " + title + "\n");
        a.forEach(l -> s.append(l.raw()).append('\n'));
        if (!b.isEmpty()) {
            s.append("----\n");
            b.forEach(l -> s.append(l.raw()).append('\n'));
        }
        System.out.println(s);
    }

    /**
     * The events of one REST call (its X-Trace-Id), once each of {@code events} is in: the services publish their
     * events on their own, so ext4's may come before blockdev's.
     */
    static List<Rest.Line> directCallTrace(Rest.Reply reply, String... events) throws Exception {
        List<String> wanted = events.length == 0 ? List.of("ext4_direct_IO_exit", "block_rq_issue") : List.of(events);
        return rest.traceUntilAll("trace=" + reply.traceId(), lines -> wanted.stream()
                .allMatch(e -> lines.stream().anyMatch(l -> l.event().equals(e))));
    }

    static List<String> directNames(List<Rest.Line> lines) {
        return lines.stream().map(Rest.Line::event).toList();
    }

    static List<String> directText(List<Rest.Line> lines, String event) {
        return lines.stream().filter(l -> l.event().equals(event)).map(Rest.Line::text).toList();
    }

    static byte[] directBytes(int n) {
        byte[] b = new byte[n];
        DIRECT_RANDOM.nextBytes(b);
        return b;
    }
}
