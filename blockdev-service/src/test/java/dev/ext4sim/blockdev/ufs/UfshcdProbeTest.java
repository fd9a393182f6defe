package dev.ext4sim.blockdev.ufs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ext4sim.blockdev.Blockdev;
import dev.ext4sim.blockdev.Trace;
import dev.ext4sim.bus.block.BlockIo;
import dev.ext4sim.bus.testing.ManualClock;
import dev.ext4sim.bus.testing.RecordingTraceSink;
import dev.ext4sim.bus.trace.FtraceLayout;
import dev.ext4sim.bus.trace.FtraceRenderer;
import dev.ext4sim.bus.trace.TraceEvent;
import dev.ext4sim.bus.trace.Tracer;
import dev.ext4sim.ondisk.MemoryBlockDevice;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The probe on a manual clock: the kernel's event sequence and text, and a probe time that is the clock's. */
class UfshcdProbeTest {
    final ManualClock clock = new ManualClock();
    final RecordingTraceSink sink = new RecordingTraceSink();
    final Blockdev dev = new Blockdev(Blockdev.Config.of("ufs3.1", Duration.ofSeconds(5), Duration.ZERO),
            new MemoryBlockDevice(4096, 262_144), "memory", clock, clock, n -> clock.advance(Duration.ofNanos(n)), new Random(3), Runnable::run, Runnable::run,
            new Trace(new Tracer("blockdev-service", clock.traceClock(), sink, 2), true));

    @Test
    void probeEmitsLinkStartupNopOutFDeviceInitGearUpInitThenTheScsiScanAndAnnouncesSda() {
        BlockIo.DeviceAdded added = dev.probe("boot");
        List<String> names = sink.events().stream().map(TraceEvent::event).distinct().toList();
        assertThat(names).containsExactly("ufshcd_uic_command", "ufshcd_upiu", "ufshcd_init", "scsi_dispatch_cmd_start",
                "scsi_dispatch_cmd_done", "writeback_bdi_register");
        List<String> text = sink.events().stream().map(e -> e.event() + ": " + e.text()).toList();
        assertThat(text.subList(0, 4)).containsExactly(
                "ufshcd_uic_command: send_req: 1d84000.ufshc: cmd: 0x16, arg1: 0x0, arg2: 0x0, arg3: 0x0",
                "ufshcd_uic_command: complete_rsp: 1d84000.ufshc: cmd: 0x16, arg1: 0x0, arg2: 0x0, arg3: 0x0",
                "ufshcd_upiu: query_send: 1d84000.ufshc: HDR:00 00 00 00 00 00 00 00 00 00 00 00, OSF:00 00 00 00 00 00 00 00 00 00 00 00",
                "ufshcd_upiu: query_complete: 1d84000.ufshc: HDR:20 00 00 00 00 00 00 00 00 00 00 00, OSF:00 00 00 00 00 00 00 00 00 00 00 00");
        assertThat(text.get(4)).isEqualTo("ufshcd_upiu: query_send: 1d84000.ufshc: HDR:16 00 00 01 00 81 00 00 00 00 00 00, "
                + "OSF:06 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00");
        assertThat(text).contains("ufshcd_init: 1d84000.ufshc: took " + added.probeUs()
                + " usecs, dev_state: UFS_ACTIVE_PWR_MODE, link_state: UIC_LINK_ACTIVE_STATE, err 0");
        assertThat(text).contains(
                "scsi_dispatch_cmd_start: host_no=0 channel=0 id=0 lun=49488 data_sgl=1 prot_sgl=0 prot_op=SCSI_PROT_NORMAL cmnd=(INQUIRY - raw=12 00 00 00 24 00)",
                "scsi_dispatch_cmd_done: host_no=0 channel=0 id=0 lun=49488 data_sgl=1 prot_sgl=0 prot_op=SCSI_PROT_NORMAL cmnd=(INQUIRY - raw=12 00 00 00 24 00) result=(driver=DRIVER_OK host=DID_OK message=COMMAND_COMPLETE status=SAM_STAT_GOOD)",
                "writeback_bdi_register: bdi 8:0");
        // the READ_FLAG polls: the last answers 0, fDeviceInit cleared
        List<String> polls = text.stream().filter(t -> t.contains("query_complete") && t.contains("OSF:05 01")).toList();
        assertThat(polls).isNotEmpty();
        assertThat(polls.getLast()).endsWith("00 00");
        assertThat(polls.getFirst()).endsWith("00 01");
        // ufshcd_init reports the probe time of the clock the probe slept on: link startup alone is 1.5-3 ms
        assertThat(added.probeUs()).isBetween(5_000L, 20_000L);

        TraceEvent init = sink.events("ufshcd_init").getFirst();
        assertThat(new FtraceRenderer(FtraceLayout.KERNEL_4X).line(init)).matches(
                "   kworker/u16:0-7     \\[00\\d] \\.\\.\\.1 +\\d+\\.\\d{6}: ufshcd_init: 1d84000\\.ufshc: took \\d+ usecs, .*");

        assertThat(added.disk()).isEqualTo("sda");
        assertThat(added.bdi()).isEqualTo("8:0");
        assertThat(added.capacitySectors()).isEqualTo(2_097_152L);
        assertThat(added.partitions()).containsExactly(new BlockIo.Partition("sda1", 8, 1, 0, 2_097_152L));
        assertThat(added.queueDepth()).isEqualTo(31);
        assertThat(added.writeCache()).isTrue();
        assertThat(added.fua()).isTrue();
    }
}
