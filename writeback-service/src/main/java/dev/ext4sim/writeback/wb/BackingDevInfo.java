package dev.ext4sim.writeback.wb;

import java.util.List;

/**
 * struct backing_dev_info of a disk (mm/backing-dev.c): named by its dev_t ("8:0"), holding its root wb. The
 * filesystems on the disk's partitions (sda1, dev_t 8,1) write back through it.
 *
 * @param name       dev_name(bdi->dev), "MAJOR:MINOR"
 * @param disk       the gendisk, "sda"
 * @param devT       the disk's dev_t (MKDEV(8, 0))
 * @param partitions dev_t of each partition: the superblocks this bdi serves
 */
public record BackingDevInfo(String name, String disk, int devT, List<Integer> partitions) {
    public BackingDevInfo {
        partitions = List.copyOf(partitions);
    }

    public static int MKDEV(int major, int minor) {
        return major << 20 | minor;
    }

    /** Whether a superblock on {@code dev} is on this disk. */
    public boolean serves(int dev) {
        return dev == devT || partitions.contains(dev);
    }
}
