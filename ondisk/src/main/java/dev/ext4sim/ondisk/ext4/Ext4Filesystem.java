package dev.ext4sim.ondisk.ext4;

import dev.ext4sim.ondisk.BlockDevice;
import dev.ext4sim.ondisk.ImageFile;
import dev.ext4sim.ondisk.OnDiskException;
import java.nio.file.Path;
import java.util.List;

/**
 * A mounted ext4 filesystem on a {@link BlockDevice} (super.c): the superblock, the group descriptors and the
 * bitmaps live here in memory, and {@link #flush} writes them back with their checksums. Inodes, extent tree
 * blocks, directory blocks and data go to the device as soon as they change.
 *
 * <p>The pieces ({@link #inodes}, {@link #mballoc}, {@link #ialloc}, {@link #extents}, {@link #namei},
 * {@link #files}) are public so that a caller (ext4-service) can drive allocation and extent insertion
 * itself. Not thread-safe: one owner per filesystem.
 */
public final class Ext4Filesystem implements AutoCloseable {
    private final BlockDevice dev;
    private final AutoCloseable owned;
    private final SuperBlock sb;
    private final Geometry geo;
    private final int csumSeed;
    private final boolean csum;
    private final byte[][] gdtBlocks;
    private final GroupDesc[] groups;
    private final GroupBitmaps bitmaps;
    private final InodeTable inodes;
    private final Mballoc mballoc;
    private final Ialloc ialloc;
    private final ExtentTree extents;
    private final Namei namei;
    private final FileIo files;
    private Timespec clock;
    /** Group descriptors or superblock changed since the last flush; a read-only user leaves the image untouched. */
    private boolean dirty;
    private java.util.function.LongConsumer metadataListener = block -> { };

    private Ext4Filesystem(BlockDevice dev, AutoCloseable owned) {
        this.dev = dev;
        this.owned = owned;
        this.sb = SuperBlock.read(dev);
        if (sb.blockSize() != dev.blockSize()) {
            throw new IllegalArgumentException("device block size " + dev.blockSize() + " but the filesystem's is " + sb.blockSize());
        }
        int unknown = sb.s_feature_incompat() & ~Ext4.INCOMPAT_SUPPORTED;
        if (unknown != 0) {
            throw new OnDiskException("superblock", 0, String.format("unsupported incompat features 0x%X", unknown));
        }
        int unknownRo = sb.s_feature_ro_compat() & ~Ext4.RO_COMPAT_SUPPORTED;
        if (unknownRo != 0) {
            throw new OnDiskException("superblock", 0, String.format(
                    "unsupported ro_compat features 0x%X; this library would not keep them consistent", unknownRo));
        }
        if (dev.blocks() < sb.s_blocks_count()) {
            throw new OnDiskException("image", dev.blocks(), "truncated: the superblock says " + sb.s_blocks_count()
                    + " blocks but the device ends at block " + dev.blocks() + "; the image was cut short");
        }
        this.geo = Geometry.of(sb);
        this.csum = sb.hasMetadataCsum();
        this.csumSeed = csum ? sb.csumSeed() : 0;
        int n = geo.groupCount();
        this.gdtBlocks = new byte[geo.gdtBlocks()][];
        this.groups = new GroupDesc[n];
        long gdtStart = sb.s_first_data_block() + 1;
        for (int i = 0; i < gdtBlocks.length; i++) {
            gdtBlocks[i] = dev.read(gdtStart + i);
        }
        for (int g = 0; g < n; g++) {
            int per = geo.descsPerBlock();
            GroupDesc gd = new GroupDesc(gdtBlocks[g / per], (g % per) * geo.descSize(), geo.descSize());
            if (csum) {
                int want = gd.computeChecksum(csumSeed, g);
                if (want != gd.bg_checksum()) {
                    throw new OnDiskException("group descriptor " + g, gdtStart + g / per, String.format(
                            "checksum mismatch: stored 0x%04X, computed 0x%04X; run e2fsck", gd.bg_checksum(), want));
                }
            }
            groups[g] = gd;
        }
        this.bitmaps = new GroupBitmaps(this);
        this.inodes = new InodeTable(this);
        this.mballoc = new Mballoc(this);
        this.ialloc = new Ialloc(this);
        this.extents = new ExtentTree(this);
        this.namei = new Namei(this);
        this.files = new FileIo(this);
    }

    /** Mounts the filesystem on {@code dev}, checking the superblock and every group descriptor. */
    public static Ext4Filesystem open(BlockDevice dev) {
        return new Ext4Filesystem(dev, null);
    }

    /** Opens an image file; the block size is read from its superblock. {@link #close} closes the file. */
    public static Ext4Filesystem open(Path image) {
        int bs;
        try (ImageFile probe = ImageFile.open(image, 1024)) {
            if (probe.blocks() < 2) {
                throw new OnDiskException("superblock", 1, "the image is " + probe.sizeBytes() + " bytes, too short to hold a superblock; it is truncated");
            }
            SuperBlock sb = new SuperBlock(probe.read(1));
            sb.verify(0);
            bs = sb.blockSize();
        }
        ImageFile img = ImageFile.open(image, bs);
        try {
            return new Ext4Filesystem(img, img);
        } catch (RuntimeException e) {
            img.close();
            throw e;
        }
    }

    // --- what the JBD2 side needs ---

    public BlockDevice device() {
        return dev;
    }

    public int blockSize() {
        return geo.blockSize();
    }

    /** The 16-byte filesystem UUID (the journal superblock carries the same). */
    public byte[] uuid() {
        return sb.s_uuid();
    }

    public boolean is64bit() {
        return sb.is64bit();
    }

    public boolean hasMetadataCsum() {
        return csum;
    }

    public int journalInum() {
        return sb.s_journal_inum();
    }

    /** Size of the journal inode in blocks. */
    public long journalBlocks() {
        return inodes.read(journalInum()).i_size() / blockSize();
    }

    /** ext4_bmap: physical block of logical block {@code lblk} of inode {@code ino}, or -1 for a hole. */
    public long bmap(int ino, long lblk) {
        return extents.map(inodes.read(ino), lblk);
    }

    /** The journal inode's extents, in logical order: its whole block map at once. */
    public List<Extent> journalExtents() {
        return extents.extents(inodes.read(journalInum()));
    }

    /** Sets or clears needs_recovery (incompat RECOVER) in the primary superblock and writes it at once. */
    public void setNeedsRecovery(boolean on) {
        int f = sb.s_feature_incompat();
        sb.s_feature_incompat(on ? f | Ext4.INCOMPAT_RECOVER : f & ~Ext4.INCOMPAT_RECOVER);
        writeSuper();
        dev.flush();
    }

    public boolean needsRecovery() {
        return sb.needsRecovery();
    }

    // --- pieces ---

    public SuperBlock superBlock() {
        return sb;
    }

    public Geometry geometry() {
        return geo;
    }

    public int csumSeed() {
        return csumSeed;
    }

    /** The live descriptor of group {@code g}; after changing it directly, call {@link #markDirty}. */
    public GroupDesc group(int g) {
        return groups[g];
    }

    public int groupCount() {
        return groups.length;
    }

    public GroupBitmaps bitmaps() {
        return bitmaps;
    }

    public InodeTable inodes() {
        return inodes;
    }

    public Mballoc mballoc() {
        return mballoc;
    }

    public Ialloc ialloc() {
        return ialloc;
    }

    public ExtentTree extents() {
        return extents;
    }

    public Namei namei() {
        return namei;
    }

    public FileIo files() {
        return files;
    }

    /** Seconds since the epoch for new timestamps; fixed with {@link #setClock} for reproducible images. */
    public long now() {
        return currentTime().sec();
    }

    /** current_time: the time new timestamps get, the set clock or else the wall clock. */
    public Timespec currentTime() {
        Timespec fixed = clock;
        return fixed != null ? fixed : Timespec.ofEpochNanos(System.currentTimeMillis() * 1_000_000L);
    }

    public void setClock(long epochSeconds) {
        setClock(Timespec.ofSeconds(epochSeconds));
    }

    public void setClock(Timespec now) {
        this.clock = now;
    }

    // --- convenience API by path ---

    public int mkdir(String path, int perm) {
        return namei.mkdir(path, perm);
    }

    public int create(String path, int perm) {
        return namei.create(path, perm);
    }

    /** Inode number of {@code path}, or 0 if it does not exist. */
    public int lookup(String path) {
        return namei.lookupPath(path);
    }

    public void pwrite(int ino, long offset, byte[] data) {
        files.pwrite(ino, offset, data, 0, data.length);
    }

    public void append(int ino, byte[] data) {
        files.pwrite(ino, inodes.read(ino).i_size(), data, 0, data.length);
    }

    public byte[] readAll(int ino) {
        Inode inode = inodes.read(ino);
        return files.read(inode, 0, (int) inode.i_size());
    }

    public List<DirEntry> readdir(int dirIno) {
        return namei.entries(inodes.read(dirIno));
    }

    // --- flush ---

    /**
     * Writes dirty bitmaps, the group descriptors and the primary superblock with its free counts summed
     * from the groups (as ext4_commit_super does from the percpu counters), then flushes the device.
     */
    public void flush() {
        flush(true);
    }

    /**
     * Writes dirty bitmaps and the group descriptors but leaves the superblock alone, then flushes the device: what a
     * journal handle of a 2.6.3x+ kernel logs, whose free counts live in percpu counters and reach the superblock only
     * through ext4_commit_super ({@link #updateSuperCounts}).
     */
    public void flushGroups() {
        flush(false);
    }

    private void flush(boolean withSuper) {
        if (!dirty) {
            dev.flush();
            return;
        }
        bitmaps.writeDirty();
        if (csum) {
            for (int g = 0; g < groups.length; g++) {
                groups[g].updateChecksum(csumSeed, g);
            }
        }
        long gdtStart = sb.s_first_data_block() + 1;
        for (int i = 0; i < gdtBlocks.length; i++) {
            writeMetadata(gdtStart + i, gdtBlocks[i]);
        }
        if (withSuper) {
            updateSuperCounts();
            writeSuper();
        }
        dev.flush();
        dirty = false;
    }

    /**
     * ext4_update_super's free counts: the in-memory superblock's free blocks and inodes become the groups' sums
     * (the kernel's percpu counters, which ext4_fill_super starts from the descriptors). Nothing is written.
     */
    public void updateSuperCounts() {
        long freeBlocks = 0;
        long freeInodes = 0;
        for (GroupDesc gd : groups) {
            freeBlocks += gd.bg_free_blocks_count();
            freeInodes += gd.bg_free_inodes_count();
        }
        sb.s_free_blocks_count(freeBlocks);
        sb.s_free_inodes_count(freeInodes);
    }

    /**
     * Called with the block number after every metadata block write (superblock, descriptors, bitmaps,
     * inode table, extent tree, directory blocks); data blocks are not reported. The journal side can
     * collect a transaction's metadata buffers this way (the content is what the device now holds).
     */
    public void setMetadataListener(java.util.function.LongConsumer listener) {
        this.metadataListener = listener;
    }

    /** Writes a metadata block and reports it to the listener. */
    public void writeMetadata(long block, byte[] content) {
        dev.write(block, content);
        metadataListener.accept(block);
    }

    /** Records that descriptors or superblock fields changed, so {@link #flush} writes them. */
    public void markDirty() {
        dirty = true;
    }

    /** Also rewrites every backup superblock and GDT copy (ext2fs_flush does at mkfs time; resize does). */
    public void flushWithBackups() {
        markDirty();
        flush();
        for (int g = 1; g < groups.length; g++) {
            if (!geo.hasSuper(g)) {
                continue;
            }
            long first = geo.groupFirstBlock(g);
            SuperBlock copy = sb.copy();
            copy.s_block_group_nr(g);
            copy.updateChecksum();
            byte[] blk = new byte[blockSize()];
            // A backup starts its group's first block at offset 0, whatever the block size.
            System.arraycopy(copy.raw(), 0, blk, 0, SuperBlock.SIZE);
            writeMetadata(first, blk);
            for (int i = 0; i < gdtBlocks.length; i++) {
                writeMetadata(first + 1 + i, gdtBlocks[i]);
            }
        }
        dev.flush();
    }

    private void writeSuper() {
        sb.s_block_group_nr(0);
        sb.updateChecksum();
        long block = Ext4.SUPERBLOCK_OFFSET / blockSize();
        byte[] blk = dev.read(block);
        System.arraycopy(sb.raw(), 0, blk, Ext4.SUPERBLOCK_OFFSET % blockSize(), SuperBlock.SIZE);
        writeMetadata(block, blk);
    }

    /** Flushes and, if this filesystem opened the image file, closes it. */
    @Override
    public void close() {
        flush();
        if (owned != null) {
            try {
                owned.close();
            } catch (Exception e) {
                throw new IllegalStateException("closing " + dev + " failed: " + e.getMessage(), e);
            }
        }
    }

    long inodeTableBlock(int ino) {
        int g = geo.groupOfInode(ino);
        int idx = (ino - 1) % geo.inodesPerGroup();
        return groups[g].bg_inode_table() + (long) idx * geo.inodeSize() / blockSize();
    }
}
