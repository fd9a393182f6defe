package dev.ext4sim.ondisk.ext4;

import dev.ext4sim.ondisk.Crc32c;
import dev.ext4sim.ondisk.Le;
import dev.ext4sim.ondisk.OnDiskException;
import java.util.ArrayList;
import java.util.List;

/**
 * A linear directory leaf block: a chain of {@link DirEntry} records filling the block, then with
 * metadata_csum the 12-byte {@code ext4_dir_entry_tail} (inode 0, rec_len 12, name_len 0, type 0xDE, crc).
 *
 * <p>{@code base} is the block as read (empty for a new block): encoding writes the records over it, so the
 * bytes the records do not cover (padding after names, leftovers of removed entries, which the kernel
 * does not clear either) come back as they were and a decode/encode round trip is exact.
 */
public record DirBlock(List<DirEntry> entries, boolean tail, byte[] base) {
    public static final int TAIL_SIZE = 12;
    public static final int TAIL_FT = 0xDE;

    public DirBlock {
        entries = List.copyOf(entries);
    }

    public DirBlock(List<DirEntry> entries, boolean tail) {
        this(entries, tail, new byte[0]);
    }

    /** The bytes the entries may use: the block minus the tail. */
    public static int space(int blockSize, boolean tail) {
        return tail ? blockSize - TAIL_SIZE : blockSize;
    }

    /** An empty block: one unused record over the whole space. */
    public static DirBlock empty(int blockSize, boolean tail) {
        return new DirBlock(List.of(new DirEntry(0, space(blockSize, tail), new byte[0], 0)), tail);
    }

    /**
     * Parses a block as ext4_check_dir_entry checks it: rec_len at least the minimum, a multiple of 4,
     * within the block, name within the record.
     */
    public static DirBlock decode(byte[] b, boolean tail, String structure, long block) {
        int space = space(b.length, tail);
        if (tail) {
            if (Le.u32(b, space) != 0 || Le.u16(b, space + 4) != TAIL_SIZE || Le.u8(b, space + 6) != 0 || Le.u8(b, space + 7) != TAIL_FT) {
                throw new OnDiskException(structure, block, "no directory checksum tail (ext4_dir_entry_tail) at offset " + space + "; run e2fsck");
            }
        }
        List<DirEntry> out = new ArrayList<>();
        int off = 0;
        while (off < space) {
            int ino = (int) Le.u32(b, off);
            int recLen = Le.u16(b, off + 4);
            int nameLen = Le.u8(b, off + 6);
            if (recLen < DirEntry.recLen(0) || (recLen & 3) != 0 || off + recLen > space || DirEntry.recLen(nameLen) > recLen) {
                throw new OnDiskException(structure, block, "bad directory entry at offset " + off + ": rec_len " + recLen
                        + ", name_len " + nameLen + "; run e2fsck");
            }
            byte[] name = java.util.Arrays.copyOfRange(b, off + 8, off + 8 + nameLen);
            out.add(new DirEntry(ino, recLen, name, Le.u8(b, off + 7)));
            off += recLen;
        }
        return new DirBlock(out, tail, b.clone());
    }

    /** The block bytes; with a tail the checksum is left zero (see {@link #setChecksum}). */
    public byte[] encode(int blockSize) {
        if (base.length != 0 && base.length != blockSize) {
            throw new IllegalArgumentException("directory block read as " + base.length + " bytes, encoded as " + blockSize);
        }
        byte[] b = base.length == 0 ? new byte[blockSize] : base.clone();
        int off = 0;
        for (DirEntry e : entries) {
            Le.u32(b, off, e.inode() & 0xFFFFFFFFL);
            Le.u16(b, off + 4, e.recLen());
            Le.u8(b, off + 6, e.name().length);
            Le.u8(b, off + 7, e.fileType());
            System.arraycopy(e.name(), 0, b, off + 8, e.name().length);
            off += e.recLen();
        }
        int space = space(blockSize, tail);
        if (off != space) {
            throw new IllegalArgumentException("directory entries cover " + off + " bytes, the block has " + space);
        }
        if (tail) {
            Le.u32(b, space, 0);
            Le.u16(b, space + 4, TAIL_SIZE);
            Le.u8(b, space + 6, 0);
            Le.u8(b, space + 7, TAIL_FT);
        }
        return b;
    }

    /** ext4_dirblock_csum: seed, LE32 ino, LE32 generation, the block up to the tail. */
    public static int checksum(int csumSeed, int ino, int generation, byte[] b) {
        int crc = Crc32c.updateLe32(csumSeed, ino);
        crc = Crc32c.updateLe32(crc, generation);
        return Crc32c.update(crc, b, 0, b.length - TAIL_SIZE);
    }

    public static int storedChecksum(byte[] b) {
        return (int) Le.u32(b, b.length - 4);
    }

    public static void setChecksum(int csumSeed, int ino, int generation, byte[] b) {
        Le.u32(b, b.length - 4, checksum(csumSeed, ino, generation, b) & 0xFFFFFFFFL);
    }

    /** Entries in use (inode ≠ 0). */
    public List<DirEntry> live() {
        return entries.stream().filter(e -> e.inode() != 0).toList();
    }

    /**
     * This block with {@code e} added in the first record with room (shrinking it, as add_dirent_to_buf
     * does), or null if none has room.
     */
    public DirBlock withAdded(int inode, byte[] name, int fileType) {
        int need = DirEntry.recLen(name.length);
        List<DirEntry> list = new ArrayList<>(entries);
        for (int i = 0; i < list.size(); i++) {
            DirEntry e = list.get(i);
            if (e.inode() == 0 && e.recLen() >= need) {
                list.set(i, new DirEntry(inode, e.recLen(), name, fileType));
                return new DirBlock(list, tail, base);
            }
            if (e.inode() != 0 && e.slack() >= need) {
                int keep = DirEntry.recLen(e.name().length);
                list.set(i, e.withRecLen(keep));
                list.add(i + 1, new DirEntry(inode, e.recLen() - keep, name, fileType));
                return new DirBlock(list, tail, base);
            }
        }
        return null;
    }
}
