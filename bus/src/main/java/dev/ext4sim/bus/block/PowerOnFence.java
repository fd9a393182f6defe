package dev.ext4sim.bus.block;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * One submitter's side of a device power cut. Killing blockdev-service is a power cut of the simulated machine: the
 * device's volatile cache is gone, and so is what the kernel held in memory about it (ext4's page cache and buffer
 * heads that believed those blocks written, jbd2's view of its log). A submitter therefore learns the device's
 * power-on from its first completion, names it in every submission, and goes down the moment it meets a device that
 * powered on since ({@link Completion#powerOn} different, or its submission refused with ESTALE): the watchdog starts
 * it again from what the disk holds, and nothing it acknowledged rests on the lost cache.
 *
 * <p>The refusal on blockdev's side is what makes this airtight: a write from before the cut, redelivered to the new
 * device by Kafka, is never applied behind the back of the instances that recovered from the disk.
 */
public final class PowerOnFence {
    private final AtomicLong known = new AtomicLong();
    private final Consumer<String> powerLost;

    /** @param powerLost goes down with the machine (Runtime.halt in a service); told why */
    public PowerOnFence(Consumer<String> powerLost) {
        this.powerLost = Objects.requireNonNull(powerLost);
    }

    /**
     * What a service does on a power cut: says why on stderr (a logger may buffer, and halt flushes nothing) and halts
     * with 137, as the SIGKILL of a power cut would.
     */
    public static Consumer<String> haltService(String service) {
        return why -> {
            System.err.println(service + ": " + why + "; going down with the machine (exit 137, as in a power cut):"
                    + " the watchdog starts it again from what the disk holds");
            System.err.flush();
            Runtime.getRuntime().halt(137);
        };
    }

    /** The device's power-on this submitter knows, 0 before its first completion. */
    public long known() {
        return known.get();
    }

    /** The submission, naming the power-on this submitter knows. */
    public BlockIo.Submit stamp(BlockIo.Submit s) {
        return s.withPowerOn(known.get());
    }

    /** Learns the power-on from a completion, or goes down when the device powered on since the last one. */
    public BlockIo.Completion completed(BlockIo.Completion c) {
        check(c.powerOn(), "a completion of blockdev-service");
        return c;
    }

    /** A failed submission: ESTALE from blockdev means it powered on since, which takes this submitter down too. */
    public ErrnoException failed(ErrnoException e) {
        if (e.errno() == Errno.ESTALE) {
            powerLost.accept("blockdev-service refused a submission from before its power-on (" + e.getMessage() + ")");
        }
        return e;
    }

    /**
     * A power-on learned from elsewhere (jbd2's journal load names the one it recovered under): another than ours
     * means the machine lost power since.
     */
    public void check(long powerOn, String from) {
        if (powerOn == 0) {
            return;
        }
        long k = known.get();
        if (k == 0 && known.compareAndSet(0, powerOn)) {
            return;
        }
        k = known.get();
        if (k != powerOn) {
            powerLost.accept(from + " names the device's power-on " + Long.toHexString(powerOn) + ", this process"
                    + " knew " + Long.toHexString(k) + ": the device lost its volatile cache in a power cut since");
        }
    }

    /** What blockdev answers a submission naming {@code submitted} while it is at {@code current}; null to accept. */
    public static ErrnoException refusal(long submitted, long current) {
        if (submitted == 0 || submitted == current) {
            return null;
        }
        return new ErrnoException(Errno.ESTALE, "this submission names the power-on " + Long.toHexString(submitted)
                + " of the device, which powered on again since (now " + Long.toHexString(current) + "): the"
                + " submitter's memory of the device died in that power cut; it must start again from the disk");
    }
}
