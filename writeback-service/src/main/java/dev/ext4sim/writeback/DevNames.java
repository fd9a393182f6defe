package dev.ext4sim.writeback;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.block.BlockIo;
import dev.ext4sim.writeback.wb.BackingDevInfo;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The bus names devices as the kernel prints them ("sda1", "sda"); the writeback core uses dev_t
 * ({@code MKDEV(8, 1)}). Names are learned from block_device_added (the disk and its partitions list).
 *
 * <p>A writeback-service restarted after the disk was announced does not see the announcement again (its event
 * group resumes after it), so a name it never learned is resolved by the sd driver's fixed numbering (sd_major 8:
 * disk index 16 minors apart, partition N at minor + N; sda1 is 8,1 on disk sda 8,0, bdi 8:0): {@link #sdDisk}.
 */
final class DevNames {
    private static final Pattern SD = Pattern.compile("sd([a-p])([1-9]|1[0-5])?");
    private static final int SCSI_DISK0_MAJOR = 8;

    private final Map<String, Integer> byName = new ConcurrentHashMap<>();
    private final Map<Integer, String> byDev = new ConcurrentHashMap<>();

    /** Learns the disk's and its partitions' names. */
    void learn(BlockIo.DeviceAdded d) {
        put(d.disk(), BackingDevInfo.MKDEV(d.major(), d.minor()));
        for (BlockIo.Partition p : d.partitions()) {
            put(p.name(), BackingDevInfo.MKDEV(p.major(), p.minor()));
        }
    }

    private void put(String name, int devT) {
        byName.put(name, devT);
        byDev.put(devT, name);
    }

    boolean known(String name) {
        return name != null && byName.containsKey(name);
    }

    /** dev_t of a learned name; EINVAL for no name, ENODEV for one no announcement named. */
    int devT(String name) {
        if (name == null || name.isBlank()) {
            throw new ErrnoException(Errno.EINVAL, "a device name such as sda1 is needed");
        }
        Integer dev = byName.get(name);
        if (dev == null) {
            throw new ErrnoException(Errno.ENODEV, "no announced disk has a device " + name + " (known: "
                    + byName.keySet() + ")");
        }
        return dev;
    }

    /** The name of a dev_t, as the bus spells it; "MAJOR:MINOR" for one not learned. */
    String name(int devT) {
        String n = byDev.get(devT);
        return n != null ? n : (devT >>> 20) + ":" + (devT & 0xFFFFF);
    }

    /**
     * The announcement the sd driver would have made for the disk of {@code name} ("sda1" or "sda"), for a disk
     * whose announcement this service missed. Capacity and queue figures are unknown (0); writeback needs only the
     * numbers. Empty for a name outside the sd scheme.
     */
    static Optional<BlockIo.DeviceAdded> sdDisk(String name) {
        Matcher m = name == null ? null : SD.matcher(name);
        if (m == null || !m.matches()) {
            return Optional.empty();
        }
        char letter = m.group(1).charAt(0);
        int diskMinor = (letter - 'a') * 16;
        String disk = "sd" + letter;
        List<BlockIo.Partition> parts = m.group(2) == null ? List.of()
                : List.of(new BlockIo.Partition(name, SCSI_DISK0_MAJOR, diskMinor + Integer.parseInt(m.group(2)),
                        0, 0));
        return Optional.of(new BlockIo.DeviceAdded(disk, SCSI_DISK0_MAJOR, diskMinor, 0, 4096,
                SCSI_DISK0_MAJOR + ":" + diskMinor, false, false, 0, parts, "unknown", 0));
    }
}
