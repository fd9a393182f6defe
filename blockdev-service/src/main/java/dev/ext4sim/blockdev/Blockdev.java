package dev.ext4sim.blockdev;

import dev.ext4sim.blockdev.block.BlkMq;
import dev.ext4sim.blockdev.block.Bio;
import dev.ext4sim.blockdev.block.Gendisk;
import dev.ext4sim.blockdev.block.ReqFlag;
import dev.ext4sim.blockdev.block.ReqOp;
import dev.ext4sim.blockdev.ufs.Faults;
import dev.ext4sim.blockdev.ufs.Profile;
import dev.ext4sim.blockdev.ufs.Ufshcd;
import dev.ext4sim.blockdev.ufs.UfsDevice;
import dev.ext4sim.blockdev.ufs.WriteCache;
import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.Scheduler;
import dev.ext4sim.bus.Time;
import dev.ext4sim.bus.block.BlockIo;
import dev.ext4sim.bus.block.PowerOnFence;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.ondisk.BlockDevice;
import java.io.ByteArrayOutputStream;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * blockdev-service's kernel side in one place, free of Spring and Kafka: the UFS host and device over the backing
 * image, the probe that makes sda/sda1, the block layer, and the bus messages translated to and from bios.
 */
public final class Blockdev {
    public static final int MAX_BIOS = 4096;

    /** Settings: see application.yml (ext4sim.blockdev.*). */
    public record Config(String profile, long partitionStartSector, Duration destageAge, Duration destageInterval,
                         boolean tracing, long cacheBytes, Duration interruptAggregation) {
        /** The defaults of application.yml, with the given profile and destage. */
        public static Config of(String profile, Duration destageAge, Duration destageInterval) {
            return new Config(profile, 0, destageAge, destageInterval, true, 64L << 20, Duration.ZERO);
        }
    }

    /** The most data one blk_submit call carries each way: split larger I/O into several calls. */
    public static final int MAX_CALL_BYTES = 8 << 20;

    private final Config config;
    private final BlockDevice image;
    private final String imageName;
    private final Time time;
    private final Scheduler scheduler;
    private final Executor completions;
    private final Executor background;
    private final Trace trace;
    private final UfsDevice device;
    private final Ufshcd hba;
    private final CountDownLatch probed = new CountDownLatch(1);
    private volatile BlkMq queue;
    private volatile Ufshcd.Probed probe;
    private volatile Scheduler.Cancellable destage;
    private final long powerOn;

    public Blockdev(Config config, BlockDevice image, String imageName, Time time, Scheduler scheduler,
                    Ufshcd.Sleeper sleeper, Random random, Executor completions, Executor background, Trace trace) {
        this(config, image, imageName, time, scheduler, sleeper, random, completions, background, trace,
                newPowerOn(new SecureRandom()));
    }

    /** @param powerOn this power-on of the device, never 0: every completion names it (PowerOnFence) */
    public Blockdev(Config config, BlockDevice image, String imageName, Time time, Scheduler scheduler,
                    Ufshcd.Sleeper sleeper, Random random, Executor completions, Executor background, Trace trace,
                    long powerOn) {
        if (powerOn == 0) {
            throw new IllegalArgumentException("a power-on is not 0");
        }
        this.powerOn = powerOn;
        this.config = Objects.requireNonNull(config);
        this.image = Objects.requireNonNull(image);
        this.imageName = imageName;
        this.time = time;
        this.scheduler = scheduler;
        this.completions = completions;
        this.background = background;
        this.trace = trace;
        Profile profile = Profile.named(config.profile());
        long sectors = image.blocks() * (image.blockSize() / 512);
        this.device = new UfsDevice(profile, time, new WriteCache(image, time), new Faults(sectors), config.cacheBytes());
        this.hba = new Ufshcd(trace, time, sleeper, scheduler, random, device, config.interruptAggregation().toNanos());
    }

    static long newPowerOn(Random random) {
        long p;
        do {
            p = random.nextLong();
        } while (p == 0);
        return p;
    }

    public long powerOn() {
        return powerOn;
    }

    /** The probe, then the destage timer; returns the announcement for the bus. */
    public BlockIo.DeviceAdded probe(String traceId) {
        long sectors = image.blocks() * (image.blockSize() / 512);
        if (config.partitionStartSector() < 0 || config.partitionStartSector() >= sectors
                || config.partitionStartSector() % (image.blockSize() / 512) != 0) {
            throw new IllegalArgumentException("ext4sim.blockdev.partition-start-sector " + config.partitionStartSector()
                    + " must be a multiple of " + image.blockSize() / 512 + " inside the disk's " + sectors + " sectors");
        }
        Ufshcd.Probed p = hba.ufshcdPltfrmInit(traceId, sectors, config.partitionStartSector());
        this.queue = new BlkMq(p.disk(), hba, trace, time, completions, background, image.blockSize());
        this.probe = p;
        probed.countDown();
        scheduleDestage();
        return announcement();
    }

    private void scheduleDestage() {
        if (config.destageInterval().isZero() || config.destageInterval().isNegative()) {
            return;
        }
        // the timer only hands the work over: writing blocks to the image must not hold up completions
        destage = scheduler.schedule(config.destageInterval(), () -> background.execute(() -> {
            if (!device.powered()) {
                return;
            }
            try {
                device.cache().destage(config.destageAge().toNanos(), 4096);
            } finally {
                scheduleDestage();
            }
        }));
    }

    public BlockIo.DeviceAdded announcement() {
        Ufshcd.Probed p = probe;
        if (p == null) {
            throw notProbed();
        }
        Gendisk d = p.disk();
        return new BlockIo.DeviceAdded(d.diskName(), d.dev().major(), d.dev().minor(), d.capacity(), image.blockSize(),
                d.dev().bdiName(), true, true, BlkMq.TAGS - BlkMq.RESERVED_TAGS,
                d.partitions().stream().map(h -> new BlockIo.Partition(h.name(), h.dev().major(), h.dev().minor(),
                        h.startSect(), h.nrSects())).toList(), device.profile().name(), p.probeUs());
    }

    public boolean isProbed() {
        return queue != null;
    }

    public BlkMq queue() {
        return queue;
    }

    public UfsDevice device() {
        return device;
    }

    public Trace trace() {
        return trace;
    }

    private BlkMq awaitQueue(Duration wait) {
        try {
            if (!probed.await(Math.max(0, wait.toMillis()), TimeUnit.MILLISECONDS)) {
                throw notProbed();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw notProbed();
        }
        return queue;
    }

    private static ErrnoException notProbed() {
        return new ErrnoException(Errno.EAGAIN, "the UFS host is still probing; retry once blockdev-service's"
                + " /actuator/health is UP");
    }

    /** The blk_submit call: bus bios to kernel bios, submitted under one plug; read data concatenated in the reply. */
    public BlockIo.Completion submit(BlockIo.Submit s, TraceContext ctx, Duration wait) {
        ErrnoException stale = PowerOnFence.refusal(s.powerOn(), powerOn);
        if (stale != null) {
            throw stale;
        }
        if (s.bios().isEmpty() || s.bios().size() > MAX_BIOS) {
            throw new ErrnoException(Errno.EINVAL, "a submission carries 1 to " + MAX_BIOS + " bios, not " + s.bios().size());
        }
        BlkMq q = awaitQueue(wait);
        List<Bio> bios = new ArrayList<>(s.bios().size());
        int offset = 0;
        for (int i = 0; i < s.bios().size(); i++) {
            BlockIo.Bio b = s.bios().get(i);
            ReqOp op = op(i, b.op());
            Set<ReqFlag> flags = EnumSet.noneOf(ReqFlag.class);
            for (String f : b.flags()) {
                try {
                    flags.add(ReqFlag.valueOf(f.toUpperCase(Locale.ROOT)));
                } catch (IllegalArgumentException | NullPointerException e) {
                    throw new ErrnoException(Errno.EINVAL, "bio " + i + ": unknown flag '" + f + "'; use SYNC, META, PREFLUSH, FUA");
                }
            }
            boolean sane = b.bytes() > 0 && b.bytes() <= BlkMq.MAX_BYTES;
            byte[] data = null;
            if (op == ReqOp.WRITE && b.bytes() > 0) {
                if (sane && offset + b.bytes() <= s.data().length) {
                    data = java.util.Arrays.copyOfRange(s.data(), offset, offset + b.bytes());
                }
                offset += Math.max(0, b.bytes());
            } else if (op == ReqOp.READ && sane) {
                data = new byte[b.bytes()];
            }
            bios.add(new Bio(op, flags, b.sector(), b.bytes(), data));
        }
        long readBytes = s.bios().stream().filter(b -> BlockIo.READ.equalsIgnoreCase(b.op())).mapToLong(b -> Math.max(0, b.bytes())).sum();
        if (offset > MAX_CALL_BYTES || readBytes > MAX_CALL_BYTES) {
            throw new ErrnoException(Errno.EINVAL, "one blk_submit carries at most " + MAX_CALL_BYTES + " bytes each way"
                    + " (a Kafka record), this one " + Math.max(offset, readBytes) + "; split it into several calls");
        }
        if (offset != s.data().length) {
            throw new ErrnoException(Errno.EINVAL, "the WRITE bios need " + offset + " bytes of data, the record carries "
                    + s.data().length + "; send each write's bytes, in bio order, after the header");
        }
        BlkMq.Completed done = q.submit(s.dev(), bios, ctx, s.plugged());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        List<Long> latency = new ArrayList<>(bios.size());
        for (int i = 0; i < bios.size(); i++) {
            latency.add(done.latencyNanos()[i] / 1_000);
            if (bios.get(i).op() == ReqOp.READ) {
                out.writeBytes(bios.get(i).data());
            }
        }
        return new BlockIo.Completion(latency, out.toByteArray(), powerOn);
    }

    /** The blk_finish_plug call: the plug the caller's task held across its submissions lets its requests go. */
    public BlockIo.Unplugged finishPlug(BlockIo.FinishPlug f, TraceContext ctx, Duration wait) {
        BlkMq q = awaitQueue(wait);
        q.disk().lookup(f.dev()); // EINVAL for a device that is not this disk or one of its partitions
        return new BlockIo.Unplugged(q.finishPlug(ctx));
    }

    private static ReqOp op(int i, String op) {
        if (BlockIo.READ.equalsIgnoreCase(op)) {
            return ReqOp.READ;
        }
        if (BlockIo.WRITE.equalsIgnoreCase(op)) {
            return ReqOp.WRITE;
        }
        throw new ErrnoException(Errno.EINVAL, "bio " + i + ": op must be READ or WRITE, not '" + op
                + "' (a cache flush is an empty WRITE with PREFLUSH)");
    }

    /** The blk_admin call. {@code power_cut} drops the cache here; exiting is the caller's part. */
    public BlockIo.AdminReply admin(BlockIo.Admin a) {
        String action = a == null || a.action() == null ? "" : a.action();
        switch (action) {
            case "add_fault" -> device.faults().add(a.fault());
            case "clear_faults" -> device.faults().clear();
            case "list_faults", "status" -> {
            }
            case "power_cut" -> powerCut();
            default -> throw new ErrnoException(Errno.EINVAL, "unknown admin action '" + action
                    + "'; use add_fault, clear_faults, list_faults, status or power_cut");
        }
        return new BlockIo.AdminReply(device.faults().list(), status());
    }

    public BlockIo.DeviceStatus status() {
        BlkMq q = queue;
        return new BlockIo.DeviceStatus(q == null ? null : q.disk().diskName(), device.profile().name(),
                image.blocks() * (image.blockSize() / 512), q == null ? 0 : q.inFlight(), device.cache().dirtyBytes(), imageName);
    }

    /** Power loss: the volatile cache is gone; nothing is written back. Returns the blocks lost. */
    public int powerCut() {
        Scheduler.Cancellable d = destage;
        if (d != null) {
            d.cancel();
        }
        return device.powerCut();
    }

    /** A clean shutdown: sd_shutdown sends SYNCHRONIZE CACHE, so the cache reaches the image. */
    public int shutdown() {
        Scheduler.Cancellable d = destage;
        if (d != null) {
            d.cancel();
        }
        if (!device.powered()) {
            return 0;
        }
        int n = device.cache().flush();
        image.flush();
        return n;
    }
}
