package dev.ext4sim.blockdev.ufs;

import static dev.ext4sim.blockdev.ufs.UfsTracepoints.SCSI_DISPATCH_CMD_DONE;
import static dev.ext4sim.blockdev.ufs.UfsTracepoints.SCSI_DISPATCH_CMD_START;
import static dev.ext4sim.blockdev.ufs.UfsTracepoints.UFSHCD_COMMAND;
import static dev.ext4sim.blockdev.ufs.UfsTracepoints.UFSHCD_INIT;
import static dev.ext4sim.blockdev.ufs.UfsTracepoints.UFSHCD_UIC_COMMAND;
import static dev.ext4sim.blockdev.ufs.UfsTracepoints.UFSHCD_UPIU;
import static dev.ext4sim.blockdev.ufs.UfsTracepoints.WRITEBACK_BDI_REGISTER;
import static dev.ext4sim.blockdev.ufs.UfsTracepoints.hex;

import dev.ext4sim.blockdev.Trace;
import dev.ext4sim.blockdev.block.Gendisk;
import dev.ext4sim.blockdev.block.ReqOp;
import dev.ext4sim.blockdev.block.Request;
import dev.ext4sim.bus.Scheduler;
import dev.ext4sim.bus.Time;
import dev.ext4sim.bus.trace.Task;
import dev.ext4sim.bus.trace.TraceContext;
import java.time.Duration;
import java.util.Objects;
import java.util.Random;

/**
 * drivers/ufs/core/ufshcd.c: the host controller driver. {@link #ufshcdPltfrmInit} runs the probe of
 * reference/ufs-device.md §1 (link startup, NOP OUT, fDeviceInit, gear-up, well-known LUs, SCSI scan) and makes the
 * disk; {@link #queuecommand} and {@link #complete} carry block requests to the {@link UfsDevice} as SCSI commands.
 */
public final class Ufshcd {
    public static final String DEV_NAME = "1d84000.ufshc";
    /** The task that runs driver probes at boot (pid 1 before init is exec'd). */
    public static final Task SWAPPER = new Task("swapper/0", 1);
    /** async_schedule(ufshcd_async_scan) runs on an unbound kworker. */
    public static final Task ASYNC_SCAN = new Task("kworker/u16:0", 7);

    static final int UIC_CMD_DME_SET = 0x02;
    static final int UIC_CMD_DME_LINK_STARTUP = 0x16;
    static final int PA_PWRMODE = 0x1571;
    static final int NOP_OUT_RETRIES = 10;
    static final int UFS_DEVICE_WLUN = 0xd0;
    static final int UFS_RPMB_WLUN = 0xc4;
    static final int UFS_BOOT_WLUN = 0xb0;

    /** How the probe waits: real sleeps in the service, a manual clock in tests. */
    @FunctionalInterface
    public interface Sleeper {
        void sleep(long nanos);
    }

    private final Trace trace;
    private final Time time;
    private final Sleeper sleeper;
    private final Scheduler scheduler;
    private final Random random;
    private final UfsDevice device;
    private int doorbell;
    private int taskTag;

    private final long intrAggregationNanos;

    /**
     * @param intrAggregationNanos UFSHCI interrupt aggregation: completions are signalled on a grid of this period
     *                             (the driver's default timeout is 2 × 40 us); 0 signals each at its completion time
     */
    public Ufshcd(Trace trace, Time time, Sleeper sleeper, Scheduler scheduler, Random random, UfsDevice device,
                  long intrAggregationNanos) {
        this.intrAggregationNanos = intrAggregationNanos;
        this.trace = Objects.requireNonNull(trace);
        this.time = Objects.requireNonNull(time);
        this.sleeper = Objects.requireNonNull(sleeper);
        this.scheduler = Objects.requireNonNull(scheduler);
        this.random = Objects.requireNonNull(random);
        this.device = Objects.requireNonNull(device);
    }

    public UfsDevice device() {
        return device;
    }

    /** What the probe made: the disk and how long ufshcd_probe_hba took. */
    public record Probed(Gendisk disk, long probeUs) {
    }

    /**
     * ufshcd_pltfrm_init → ufshcd_init → async_schedule(ufshcd_async_scan) → ufshcd_probe_hba → ufshcd_add_lus →
     * ufshcd_scsi_add_wlus → scsi_scan_host → sd_probe (sda, its partition table) → blk_mq_init_queue → bdi_init →
     * wb_init → bdi_register("8:0"). Returns once the disk exists.
     */
    public Probed ufshcdPltfrmInit(String traceId, long capacitySectors, long partitionStart) {
        TraceContext boot = new TraceContext(traceId, SWAPPER);
        // ufshcd_init: hba init, capabilities, memory, interrupts, scsi_add_host, device reset, ufshcd_hba_enable
        sleep(1_000_000, 1_500_000); // HBA enable delay: 1000 us, then HCE polled
        TraceContext scan = Trace.as(boot, ASYNC_SCAN);
        long probeUs = ufshcdProbeHba(scan);
        Gendisk disk = ufshcdAddLus(scan, capacitySectors, partitionStart);
        return new Probed(disk, probeUs);
    }

    /** ufshcd_probe_hba(hba, true): link startup, NOP OUT, fDeviceInit, params, gear-up; trace_ufshcd_init. */
    long ufshcdProbeHba(TraceContext ctx) {
        long start = time.nanoTime();
        // a. ufshcd_link_startup: DME_LINKSTARTUP over UIC; the link comes up in PWM-G1, 1 lane
        uic(ctx, UIC_CMD_DME_LINK_STARTUP, 0, 0, 0, 1_500_000, 3_000_000);
        // c. ufshcd_verify_dev_init: NOP OUT, answered by NOP IN
        devCmd(ctx, (byte) 0x00, (byte) 0x20, new byte[12], new byte[12], 100_000, 300_000);
        // d. ufshcd_complete_dev_init: SET_FLAG fDeviceInit, then READ_FLAG every 0.5-1 ms until the device clears it
        byte[] setFlag = osf(0x06, 0x01, 0);
        devCmd(ctx, (byte) 0x16, (byte) 0x36, queryHdr(0x81), setFlag, 80_000, 200_000);
        int polls = 2 + random.nextInt(6);
        for (int i = 0; i < polls; i++) {
            sleep(500_000, 1_000_000); // usleep_range(500, 1000)
            boolean cleared = i == polls - 1;
            devCmd(ctx, (byte) 0x16, (byte) 0x36, queryHdr(0x01), osf(0x05, 0x01, 0), osf(0x05, 0x01, cleared ? 0 : 1),
                    60_000, 150_000);
        }
        // e-f. device params (geometry, device descriptor), unipro tuning: descriptor reads, ~1 ms
        sleep(800_000, 1_500_000);
        // g. ufshcd_config_pwr_mode: gear up to the fastest HS gear, FAST_MODE in both directions
        uic(ctx, UIC_CMD_DME_SET, PA_PWRMODE << 16, 0, 0x11, 2_000_000, 4_000_000);
        // h-i. ICC level, WriteBooster, auto-hibern8, state OPERATIONAL
        sleep(200_000, 500_000);
        long usecs = (time.nanoTime() - start) / 1_000;
        trace.emit(UFSHCD_INIT, ctx, DEV_NAME, 0, usecs, "UFS_ACTIVE_PWR_MODE", "UIC_LINK_ACTIVE_STATE");
        return usecs;
    }

    /** ufshcd_add_lus → ufshcd_scsi_add_wlus (UFS Device, RPMB, BOOT) → scsi_scan_host → sd_probe. */
    Gendisk ufshcdAddLus(TraceContext ctx, long capacitySectors, long partitionStart) {
        for (int wlun : new int[]{UFS_DEVICE_WLUN, UFS_RPMB_WLUN, UFS_BOOT_WLUN}) {
            int lun = (wlun & 0x7f) | 0xc100; // ufshcd_upiu_wlun_to_scsi_wlun
            scsi(ctx, lun, "INQUIRY", new byte[]{0x12, 0, 0, 0, 0x24, 0}, 1);
        }
        // scsi_scan_host: REPORT LUNS finds LU 0, which becomes sda
        scsi(ctx, 0, "REPORT_LUNS", new byte[]{(byte) 0xa0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0}, 1);
        scsi(ctx, 0, "INQUIRY", new byte[]{0x12, 0, 0, 0, 0x24, 0}, 1);
        // sd_revalidate_disk: capacity, and the caching mode page (WCE: volatile write cache; DPOFUA: FUA)
        scsi(ctx, 0, "READ_CAPACITY", new byte[]{0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 1);
        scsi(ctx, 0, "MODE_SENSE_10", new byte[]{0x5a, 0, 0x08, 0, 0, 0, 0, 0, 0x20, 0}, 1);
        // sd_probe → alloc_disk → blk_mq_init_queue → bdi_alloc → bdi_init → wb_init (INIT_DELAYED_WORK wb_workfn)
        Gendisk disk = new Gendisk("sda", Gendisk.SD_MAJOR, 0, capacitySectors);
        disk.addPartition(partitionStart, capacitySectors - partitionStart);
        // device_add_disk → bdi_register(disk->bdi, "%u:%u", major, minor)
        trace.emit(WRITEBACK_BDI_REGISTER, ctx, disk.dev().bdiName());
        return disk;
    }

    private void scsi(TraceContext ctx, int lun, String opcode, byte[] cdb, int sgl) {
        trace.emit(SCSI_DISPATCH_CMD_START, ctx, 0, 0, 0, lun, sgl, 0, "SCSI_PROT_NORMAL", opcode, "-", hex(cdb));
        sleep(80_000, 250_000);
        trace.emit(SCSI_DISPATCH_CMD_DONE, Trace.as(ctx, Trace.IRQ), 0, 0, 0, lun, sgl, 0, "SCSI_PROT_NORMAL", opcode,
                "-", hex(cdb), "DRIVER_OK", "DID_OK", "COMMAND_COMPLETE", "SAM_STAT_GOOD");
    }

    private void uic(TraceContext ctx, int cmd, int arg1, int arg2, int arg3, long minNanos, long maxNanos) {
        trace.emit(UFSHCD_UIC_COMMAND, ctx, DEV_NAME, "send_req", cmd, arg1, arg2, arg3);
        sleep(minNanos, maxNanos);
        trace.emit(UFSHCD_UIC_COMMAND, Trace.as(ctx, Trace.IRQ), DEV_NAME, "complete_rsp", cmd, arg1, arg2, arg3);
    }

    /** A device management command (NOP OUT or a query) on the reserved tag, traced as its request and response UPIU. */
    private void devCmd(TraceContext ctx, byte reqType, byte rspType, byte[] hdr, byte[] tsf, long minNanos, long maxNanos) {
        devCmd(ctx, reqType, rspType, hdr, tsf, tsf, minNanos, maxNanos);
    }

    private void devCmd(TraceContext ctx, byte reqType, byte rspType, byte[] hdr, byte[] tsf, byte[] rspTsf,
                        long minNanos, long maxNanos) {
        byte tag = (byte) (taskTag++ & 0xff);
        byte[] req = hdr.clone();
        req[0] = reqType;
        req[3] = tag;
        byte[] rsp = req.clone();
        rsp[0] = rspType;
        trace.emit(UFSHCD_UPIU, ctx, DEV_NAME, "query_send", hex(req), hex(tsf), "OSF");
        sleep(minNanos, maxNanos);
        trace.emit(UFSHCD_UPIU, Trace.as(ctx, Trace.IRQ), DEV_NAME, "query_complete", hex(rsp), hex(rspTsf), "OSF");
    }

    private static byte[] queryHdr(int function) {
        byte[] h = new byte[12];
        h[5] = (byte) function;
        return h;
    }

    private static byte[] osf(int opcode, int idn, int value) {
        byte[] t = new byte[16];
        t[0] = (byte) opcode;
        t[1] = (byte) idn;
        t[15] = (byte) value;
        return t;
    }

    private void sleep(long minNanos, long maxNanos) {
        sleeper.sleep(minNanos + (long) (random.nextDouble() * (maxNanos - minNanos)));
    }

    // ---- I/O ----

    static int opcode(Request rq) {
        long lba = rq.sector() >> 3;
        int blocks = rq.bytes() >> 12;
        boolean big = lba > 0xffffffffL || blocks > 0xffff;
        return switch (rq.op()) {
            case WRITE -> big ? 0x8a : 0x2a;
            case READ -> big ? 0x88 : 0x28;
            case FLUSH -> 0x35;
        };
    }

    /** The block layer's completion routine (scsi_done → blk_mq_complete_request), called once per finished command. */
    @FunctionalInterface
    public interface ScsiDone {
        void scsiDone(Request rq);
    }

    static final int NUTRS = 32; // transfer request slots: one per tag

    /** hba->lrb: the command outstanding on each tag, whom to tell when it is done, and when its interrupt is due. */
    private final Request[] lrbCmd = new Request[NUTRS];
    private final ScsiDone[] lrbDone = new ScsiDone[NUTRS];
    private final long[] lrbIrq = new long[NUTRS];
    /** hba->outstanding_reqs: the tags whose completion the driver has not handled yet. */
    private int outstandingReqs;
    /** The interrupt time the one armed timer serves (Long.MAX_VALUE: none armed), and how to cancel it. */
    private long armedIrq = Long.MAX_VALUE;
    private Scheduler.Cancellable armed;

    /**
     * ufshcd_queuecommand → ufshcd_send_command: rings the doorbell bit of the request's tag (traced send_req). The
     * device model fixes when the command finishes; interrupt aggregation puts its interrupt on the next grid point.
     * {@code done} is called from that interrupt (or here, when the command is already due, e.g. on "instant").
     */
    public void queuecommand(Request rq, TraceContext ctx, ScsiDone done) {
        int tag = rq.tag();
        boolean due;
        // one lock for the doorbell, the device's timetable and the timer: submitters on both cores meet here once
        synchronized (this) {
            doorbell |= 1 << tag;
            if (trace.enabled()) { // traced before the timer is armed, so send_req always precedes complete_rsp
                boolean rw = rq.op() != ReqOp.FLUSH;
                Object[] values = {DEV_NAME, "send_req", tag, doorbell, rw ? rq.bytes() : -1, 0,
                        rw ? rq.sector() >> 3 : 0L, opcode(rq), 0};
                rq.trace(() -> trace.emit(UFSHCD_COMMAND, ctx, values));
            }
            long deadline = device.completionTime(rq, rq.arrival());
            rq.setDeadline(deadline);
            long irq = intrAggregationNanos > 0 ? Math.ceilDiv(deadline, intrAggregationNanos) * intrAggregationNanos
                    : deadline;
            lrbCmd[tag] = rq;
            lrbDone[tag] = done;
            lrbIrq[tag] = irq;
            outstandingReqs |= 1 << tag;
            due = irq - wakeAhead <= time.nanoTime();
            if (!due && irq < armedIrq) {
                arm(irq);
            }
        }
        if (due) {
            ufshcdTransferReqCompl(time.nanoTime(), Long.MIN_VALUE);
        }
    }

    /**
     * One timer for the earliest interrupt outstanding, armed early by the measured wake-up latency. Commands due at
     * the same grid point share it, as they share one aggregated interrupt on the hardware. Caller holds the lock.
     */
    private void arm(long irq) {
        if (armed != null) {
            armed.cancel();
        }
        long armAt = irq - wakeAhead;
        armedIrq = irq;
        armed = scheduler.schedule(Duration.ofNanos(Math.max(0, armAt - time.nanoTime())), () -> ufshcdIntr(irq, armAt));
    }

    /** ufshcd_intr → ufshcd_sl_intr: the transfer request completion interrupt of the timer armed for {@code irq}. */
    private void ufshcdIntr(long irq, long armAt) {
        long now = time.nanoTime();
        observeWakeLatency(now - armAt);
        ufshcdTransferReqCompl(now, irq);
    }

    /**
     * ufshcd_transfer_req_compl: every command the device has finished by {@code now} completes in one go (its
     * doorbell bit clears; completed_reqs = outstanding & ~doorbell), in tag order; then the timer is armed for the
     * next one still outstanding. {@code firedIrq} is the interrupt time of the timer that runs this, if any. The
     * block layer is called outside the lock: it may issue the next command.
     */
    private void ufshcdTransferReqCompl(long now, long firedIrq) {
        Request[] cmds = null;
        ScsiDone[] dones = null;
        int completed = 0;
        synchronized (this) {
            if (firedIrq == armedIrq) {
                armedIrq = Long.MAX_VALUE; // this timer is spent
                armed = null;
            }
            long ahead = wakeAhead;
            long next = Long.MAX_VALUE;
            for (int pending = outstandingReqs; pending != 0; pending &= pending - 1) {
                int tag = Integer.numberOfTrailingZeros(pending);
                if (lrbIrq[tag] - ahead <= now) {
                    completed |= 1 << tag;
                } else {
                    next = Math.min(next, lrbIrq[tag]);
                }
            }
            if (completed != 0) {
                outstandingReqs &= ~completed;
                doorbell &= ~completed;
                int n = Integer.bitCount(completed);
                cmds = new Request[n];
                dones = new ScsiDone[n];
                int i = 0;
                for (int bits = completed; bits != 0; bits &= bits - 1) {
                    int tag = Integer.numberOfTrailingZeros(bits);
                    cmds[i] = lrbCmd[tag];
                    dones[i++] = lrbDone[tag];
                    lrbCmd[tag] = null;
                    lrbDone[tag] = null;
                }
            }
            if (next < armedIrq) {
                arm(next);
            }
        }
        if (cmds != null) {
            for (int i = 0; i < cmds.length; i++) {
                dones[i].scsiDone(cmds[i]);
            }
        }
    }

    /**
     * The host's timer wake-up latency, measured: a timer armed for T runs at T + L. Timers are armed that much
     * early, so completions are signalled at their due time on average instead of L late (on a busy 2-core VM, L is
     * 100-200 us, as long as a 4 KiB command itself). An exponentially weighted average, at most
     * {@link #MAX_WAKE_AHEAD_NANOS}; zero on a manual clock.
     */
    private void observeWakeLatency(long late) {
        long w = wakeAhead;
        wakeAhead = Math.clamp(w + (late - w) / 16, 0, MAX_WAKE_AHEAD_NANOS);
    }

    static final long MAX_WAKE_AHEAD_NANOS = 300_000;
    private volatile long wakeAhead;

    /**
     * ufshcd_compl_one_cqe for a command the interrupt handed to the block layer: traced complete_rsp (the doorbell
     * bit is already clear), and the command's data moves. EIO when a fault covers it or the power is gone.
     */
    public void complete(Request rq, TraceContext ctx) {
        if (trace.enabled()) {
            int db;
            synchronized (this) {
                db = doorbell;
            }
            boolean rw = rq.op() != ReqOp.FLUSH;
            Object[] values = {DEV_NAME, "complete_rsp", rq.tag(), db, rw ? rq.bytes() : -1, 1,
                    rw ? rq.sector() >> 3 : 0L, opcode(rq), 0};
            TraceContext irq = Trace.as(ctx, Trace.IRQ);
            rq.trace(() -> trace.emit(UFSHCD_COMMAND, irq, values));
        }
        device.execute(rq);
    }
}
