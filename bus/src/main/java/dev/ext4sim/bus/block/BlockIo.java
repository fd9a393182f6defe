package dev.ext4sim.bus.block;

import dev.ext4sim.bus.call.CallType;
import dev.ext4sim.bus.call.Codecs;
import dev.ext4sim.bus.call.EventType;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * How other services talk to blockdev-service: submit bios ({@link #SUBMIT}), inject faults ({@link #ADMIN}), and
 * learn of a probed disk ({@link #DEVICE_ADDED}). Block data travels as raw bytes after a small JSON header in the
 * record value, never as base64.
 */
public final class BlockIo {
    public static final String SERVICE = "blockdev-service";

    /** submit_bio for a batch of bios under one plug; answers when every bio completed. */
    public static final CallType<Submit, Completion> SUBMIT =
            new CallType<>("blk_submit", 1, Codecs.framed(SubmitHeader.class, Submit::header,
                    (h, d) -> new Submit(h.dev(), h.bios(), d, h.powerOn(), h.plugged()), Submit::data),
                    Codecs.framed(CompletionHeader.class, Completion::header,
                            (h, d) -> new Completion(h.latencyUs(), d, h.powerOn()), Completion::data));

    /**
     * blk_finish_plug of a plug that outlived its submissions ({@link Submit#plugged}), in the caller's task: the
     * requests it held are unplugged and issued as the trace tells it (6.x wb_writeback's plug around its round).
     */
    public static final CallType<FinishPlug, Unplugged> FINISH_PLUG = CallType.json("blk_finish_plug", 1,
            FinishPlug.class, Unplugged.class);

    /** Faults, power cut and status of the emulated device. */
    public static final CallType<Admin, AdminReply> ADMIN = CallType.json("blk_admin", 1, Admin.class, AdminReply.class);

    /** Published once the ufshcd probe made the disk and its bdi (8:0): writeback creates the bdi_writeback. */
    public static final EventType<DeviceAdded> DEVICE_ADDED = EventType.json("block_device_added", 1, DeviceAdded.class);

    public static final String READ = "READ";
    public static final String WRITE = "WRITE";
    public static final String SYNC = "SYNC";
    public static final String META = "META";
    public static final String PREFLUSH = "PREFLUSH";
    public static final String FUA = "FUA";

    private BlockIo() {
    }

    /**
     * One bio. {@code op} is READ or WRITE; {@code flags} any of SYNC, META, PREFLUSH, FUA; {@code sector} in 512-byte
     * units relative to {@code dev} (a partition's sectors are remapped to the disk); {@code bytes} a multiple of
     * the 4096-byte logical block, at most 1 MiB, and 0 only for an empty PREFLUSH write (a cache flush).
     */
    public record Bio(String op, List<String> flags, long sector, int bytes) {
        public Bio {
            flags = flags == null ? List.of() : List.copyOf(flags);
        }

        public static Bio write(long sector, int bytes, String... flags) {
            return new Bio(WRITE, List.of(flags), sector, bytes);
        }

        public static Bio read(long sector, int bytes, String... flags) {
            return new Bio(READ, List.of(flags), sector, bytes);
        }

        /** blkdev_issue_flush: an empty PREFLUSH write, rwbs FWS, which becomes one SYNCHRONIZE CACHE. */
        public static Bio flush() {
            return new Bio(WRITE, List.of(PREFLUSH, SYNC), 0, 0);
        }
    }

    /**
     * @param dev     "sda1", "sda", "8,1", "8:0" or the dev_t number
     * @param data    the payloads of the WRITE bios, concatenated in bio order
     * @param powerOn the device's power-on the submitter knows ({@link Completion#powerOn}), 0 before its first
     *                completion: blockdev refuses a submission from before its own power-on with ESTALE
     *                ({@link PowerOnFence})
     * @param plugged the submitting task holds a plug that outlives this call (6.x wb_writeback's, around the
     *                flusher's whole round): the requests are issued and complete now, but the block layer traces
     *                their unplug and issue at the task's {@link #FINISH_PLUG}, as the kernel issues them then
     */
    public record Submit(String dev, List<Bio> bios, byte[] data, long powerOn, boolean plugged) {
        public Submit {
            bios = List.copyOf(bios);
            data = data == null ? new byte[0] : data;
        }

        public Submit(String dev, List<Bio> bios, byte[] data) {
            this(dev, bios, data, 0, false);
        }

        public Submit(String dev, List<Bio> bios, byte[] data, long powerOn) {
            this(dev, bios, data, powerOn, false);
        }

        public Submit withPowerOn(long p) {
            return new Submit(dev, bios, data, p, plugged);
        }

        /** The same bios under the submitter's outer plug ({@code plugged}). */
        public Submit underPlug(boolean held) {
            return new Submit(dev, bios, data, powerOn, held);
        }

        SubmitHeader header() {
            return new SubmitHeader(dev, bios, powerOn, plugged);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Submit s && Objects.equals(dev, s.dev) && bios.equals(s.bios) && Arrays.equals(data, s.data)
                    && powerOn == s.powerOn && plugged == s.plugged;
        }

        @Override
        public int hashCode() {
            return Objects.hash(dev, bios, Arrays.hashCode(data), powerOn, plugged);
        }

        @Override
        public String toString() {
            return "Submit[dev=" + dev + ", bios=" + bios + ", data=" + data.length + " bytes, powerOn="
                    + Long.toHexString(powerOn) + (plugged ? ", plugged" : "") + "]";
        }
    }

    /** The caller's task ends its plug on {@code dev}'s disk. */
    public record FinishPlug(String dev) {
    }

    /** @param requests the requests the plug held, now traced as unplugged and issued */
    public record Unplugged(int requests) {
    }

    /**
     * @param latencyUs per bio, from submission to completion
     * @param data      the payloads of the READ bios, concatenated in bio order
     * @param powerOn   the device's power-on: a new one each time blockdev-service starts, since its volatile cache
     *                  starts empty then
     */
    public record Completion(List<Long> latencyUs, byte[] data, long powerOn) {
        public Completion {
            latencyUs = List.copyOf(latencyUs);
            data = data == null ? new byte[0] : data;
        }

        public Completion(List<Long> latencyUs, byte[] data) {
            this(latencyUs, data, 0);
        }

        CompletionHeader header() {
            return new CompletionHeader(latencyUs, powerOn);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Completion c && latencyUs.equals(c.latencyUs) && Arrays.equals(data, c.data)
                    && powerOn == c.powerOn;
        }

        @Override
        public int hashCode() {
            return Objects.hash(latencyUs, Arrays.hashCode(data), powerOn);
        }

        @Override
        public String toString() {
            return "Completion[latencyUs=" + latencyUs + ", data=" + data.length + " bytes, powerOn="
                    + Long.toHexString(powerOn) + "]";
        }
    }

    record SubmitHeader(String dev, List<Bio> bios, long powerOn, boolean plugged) {
    }

    record CompletionHeader(List<Long> latencyUs, long powerOn) {
    }

    /**
     * An admin action: {@code add_fault} (with {@code fault}), {@code clear_faults}, {@code list_faults},
     * {@code status}, or {@code power_cut} (drop the volatile write cache and exit, as pulling the plug would).
     */
    public record Admin(String action, Fault fault) {
        public static Admin of(String action) {
            return new Admin(action, null);
        }
    }

    /**
     * A fault: {@code kind} "eio" (the command fails with EIO) or "latency" (adds {@code latencyUs} to each
     * command); {@code op} READ, WRITE or FLUSH, or null for every operation; disk sectors
     * [{@code fromSector}, {@code toSector}) or null for the whole disk.
     */
    public record Fault(String kind, String op, Long fromSector, Long toSector, Long latencyUs) {
        public static Fault eio(String op, Long fromSector, Long toSector) {
            return new Fault("eio", op, fromSector, toSector, null);
        }

        public static Fault latency(String op, long latencyUs) {
            return new Fault("latency", op, null, null, latencyUs);
        }
    }

    public record AdminReply(List<Fault> faults, DeviceStatus status) {
    }

    public record DeviceStatus(String disk, String profile, long capacitySectors, int inFlight, long dirtyCacheBytes,
                               String image) {
    }

    public record Partition(String name, int major, int minor, long startSector, long nrSectors) {
    }

    /**
     * The disk the probe made: {@code sda} 8,0 with its partitions, its capacity in 512-byte sectors, its logical
     * block size, the bdi name ("8:0"), whether it has a volatile write cache and FUA, the queue depth it serves.
     */
    public record DeviceAdded(String disk, int major, int minor, long capacitySectors, int logicalBlockSize,
                              String bdi, boolean writeCache, boolean fua, int queueDepth, List<Partition> partitions,
                              String profile, long probeUs) {
        public DeviceAdded {
            partitions = partitions == null ? List.of() : List.copyOf(partitions);
        }
    }
}
