package dev.ext4sim.writeback.wb;

/**
 * What writeback keeps of a struct inode: its identity (superblock dev_t and ino), i_state, dirtied_when,
 * dirtied_time_when, mapping->writeback_index, and its place on one of the wb's lists (i_io_list).
 */
final class WbInode {
    final int dev;
    final long ino;
    int state;
    long dirtiedWhen;
    long dirtiedTimeWhen;
    long writebackIndex;
    /** S_IFBLK: the block device inode, whose pages jbd2-service writes ({@link BdevPort}), not ext4. */
    boolean blockdev;

    // i_io_list: the list it is on and its neighbours there (head side = prev)
    IoList list;
    WbInode prev;
    WbInode next;

    WbInode(int dev, long ino) {
        this.dev = dev;
        this.ino = ino;
    }

    record Key(int dev, long ino) {
    }

    Key key() {
        return new Key(dev, ino);
    }

    @Override
    public String toString() {
        return "inode " + ino + " on " + (dev >>> 20) + "," + (dev & 0xFFFFF) + " " + InodeState.show_inode_state(state);
    }
}
