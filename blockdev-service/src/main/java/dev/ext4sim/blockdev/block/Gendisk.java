package dev.ext4sim.blockdev.block;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import java.util.ArrayList;
import java.util.List;

/**
 * struct gendisk: the disk (sda, 8,0) and its partitions (hd_struct: sda1, 8,1), each a range of disk sectors.
 * Partition 0 is the whole disk.
 */
public final class Gendisk {
    public static final int SD_MAJOR = 8;

    /** One partition, or the whole disk as partno 0. */
    public record HdStruct(int partno, String name, Dev dev, long startSect, long nrSects) {
    }

    private final String diskName;
    private final long capacity;
    private final List<HdStruct> parts = new ArrayList<>();

    public Gendisk(String diskName, int major, int firstMinor, long capacitySectors) {
        this.diskName = diskName;
        this.capacity = capacitySectors;
        parts.add(new HdStruct(0, diskName, new Dev(major, firstMinor), 0, capacitySectors));
    }

    /** add_partition(): sdaN on sectors [start, start + nrSects). */
    public HdStruct addPartition(long startSect, long nrSects) {
        if (startSect < 0 || nrSects <= 0 || startSect + nrSects > capacity) {
            throw new IllegalArgumentException("partition [" + startSect + ", " + (startSect + nrSects)
                    + ") does not fit the disk of " + capacity + " sectors");
        }
        int partno = parts.size();
        Dev disk = parts.getFirst().dev();
        HdStruct p = new HdStruct(partno, diskName + partno, new Dev(disk.major(), disk.minor() + partno), startSect, nrSects);
        parts.add(p);
        return p;
    }

    public String diskName() {
        return diskName;
    }

    public Dev dev() {
        return parts.getFirst().dev();
    }

    public long capacity() {
        return capacity;
    }

    public List<HdStruct> partitions() {
        return parts.subList(1, parts.size());
    }

    public HdStruct whole() {
        return parts.getFirst();
    }

    /** The partition named "sda1", "8,1", "8:1" or by its dev_t number; EINVAL naming the known ones otherwise. */
    public HdStruct lookup(String name) {
        String n = name == null ? "" : name.trim();
        for (HdStruct p : parts) {
            if (p.name().equals(n) || p.name().equals(n.replaceFirst("^/dev/", "")) || p.dev().toString().equals(n)
                    || p.dev().bdiName().equals(n) || Long.toString(p.dev().devT()).equals(n)) {
                return p;
            }
        }
        throw new ErrnoException(Errno.EINVAL, "no block device '" + name + "'; this blockdev-service has "
                + parts.stream().map(p -> p.name() + " (" + p.dev() + ")").toList());
    }
}
