package dev.ext4sim.blockdev.ufs;

import dev.ext4sim.blockdev.block.ReqOp;
import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.block.BlockIo.Fault;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Injected faults: commands that fail with EIO, or take longer, on a range of disk sectors or an operation. */
public final class Faults {
    private static final long MAX_LATENCY_US = 60_000_000;
    private final List<Fault> faults = new CopyOnWriteArrayList<>();
    private final long capacitySectors;

    public Faults(long capacitySectors) {
        this.capacitySectors = capacitySectors;
    }

    /** Validates and adds a fault; EINVAL (nothing added) when it makes no sense. */
    public Fault add(Fault f) {
        if (f == null || f.kind() == null) {
            throw new ErrnoException(Errno.EINVAL, "a fault needs a kind: \"eio\" or \"latency\"");
        }
        String kind = f.kind().toLowerCase(java.util.Locale.ROOT);
        if (!kind.equals("eio") && !kind.equals("latency")) {
            throw new ErrnoException(Errno.EINVAL, "fault kind must be \"eio\" or \"latency\", not \"" + f.kind() + "\"");
        }
        String op = f.op() == null || f.op().isBlank() ? null : f.op().toUpperCase(java.util.Locale.ROOT);
        if (op != null && !List.of("READ", "WRITE", "FLUSH").contains(op)) {
            throw new ErrnoException(Errno.EINVAL, "fault op must be READ, WRITE, FLUSH or absent (every operation), not \""
                    + f.op() + "\"");
        }
        long from = f.fromSector() == null ? 0 : f.fromSector();
        long to = f.toSector() == null ? capacitySectors : f.toSector();
        if (from < 0 || to > capacitySectors || from >= to) {
            throw new ErrnoException(Errno.EINVAL, "fault sectors [" + from + ", " + to + ") must be a non-empty range"
                    + " inside the disk's " + capacitySectors + " sectors");
        }
        Long latency = f.latencyUs();
        if (kind.equals("latency") && (latency == null || latency < 0 || latency > MAX_LATENCY_US)) {
            throw new ErrnoException(Errno.EINVAL, "a latency fault needs latencyUs between 0 and " + MAX_LATENCY_US);
        }
        Fault clean = new Fault(kind, op, f.fromSector() == null ? null : from, f.toSector() == null ? null : to,
                kind.equals("latency") ? latency : null);
        faults.add(clean);
        return clean;
    }

    public void clear() {
        faults.clear();
    }

    public List<Fault> list() {
        return List.copyOf(faults);
    }

    private boolean hits(Fault f, ReqOp op, long sector, int nrSectors) {
        if (f.op() != null && !f.op().equals(op.name())) {
            return false;
        }
        long from = f.fromSector() == null ? 0 : f.fromSector();
        long to = f.toSector() == null ? Long.MAX_VALUE : f.toSector();
        if (op == ReqOp.FLUSH) {
            return f.fromSector() == null && f.toSector() == null || f.op() != null; // a flush has no sectors
        }
        return sector < to && sector + Math.max(1, nrSectors) > from;
    }

    public boolean fails(ReqOp op, long sector, int nrSectors) {
        if (faults.isEmpty()) {
            return false;
        }
        return faults.stream().anyMatch(f -> f.kind().equals("eio") && hits(f, op, sector, nrSectors));
    }

    public long extraLatencyNanos(ReqOp op, long sector, int nrSectors) {
        if (faults.isEmpty()) {
            return 0;
        }
        return faults.stream().filter(f -> f.kind().equals("latency") && hits(f, op, sector, nrSectors))
                .mapToLong(f -> f.latencyUs() * 1_000).sum();
    }
}
