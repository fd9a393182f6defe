package dev.ext4sim.ext4.fs;

import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.ondisk.ext4.Bitmaps;
import dev.ext4sim.ondisk.ext4.SuperBlock;
import java.util.ArrayList;
import java.util.List;

/**
 * ext4_orphan_cleanup (4.19 super.c), which ext4_fill_super runs once the journal is recovered and before the mount
 * returns: every inode the on-disk orphan list still names was in the middle of something when the filesystem went
 * down. One with links was being extended (a direct write) or truncated: its blocks past the on-disk i_size are freed.
 * One without links was unlinked while open: it is deleted. Each leaves the list as it is done, so a crash during
 * the cleanup leaves the rest listed for the next mount. Runs in the mounting task, whose trace it is part of.
 */
final class OrphanCleanup {
    /** EXT4_ERROR_FS in s_state: e2fsck has to look at the filesystem first. */
    static final int ERROR_FS = 0x2;

    private final Super sb;
    private final Orphan orphans;
    private final Truncate truncate;
    private final Evict evict;

    OrphanCleanup(Super sb, Orphan orphans, Truncate truncate, Evict evict) {
        this.sb = sb;
        this.orphans = orphans;
        this.truncate = truncate;
        this.evict = evict;
    }

    /**
     * Walks the chain from s_last_orphan until it is empty; returns what the kernel prints. A read-only mount (which
     * would print "orphan cleanup on readonly fs" and clean up anyway) is not something this simulation does.
     */
    List<KernelMessage> cleanup(TraceContext ctx) {
        List<KernelMessage> msgs = new ArrayList<>();
        SuperBlock es = sb.fs.superBlock();
        if (es.s_last_orphan() == 0) {
            return msgs;
        }
        if ((sb.fs.superBlock().s_state() & ERROR_FS) != 0) {
            // the chain may be part of what is wrong: leave the inodes to e2fsck
            msgs.add(KernelMessage.info("Errors on filesystem, clearing orphan list."));
            es.s_last_orphan(0);
            return msgs;
        }
        int nrOrphans = 0;
        int nrTruncates = 0;
        while (es.s_last_orphan() != 0) {
            int ino = es.s_last_orphan();
            Ext4InodeInfo ei = orphanGet(ctx, ino, msgs);
            if (ei == null) {
                es.s_last_orphan(0);
                break;
            }
            orphans.listAdd(ei);
            if (ei.nlink() > 0) {
                // truncate_inode_pages(i_size): a just-read inode has no page cache
                truncate.truncate(ctx, ei);
                nrTruncates++;
            } else {
                nrOrphans++;
            }
            // iput: the last reference to an unlinked inode evicts it, and ext4_evict_inode deletes it
            if (ei.isFreeable()) {
                evict.evict(ctx, ei);
            }
            if (es.s_last_orphan() == ino) {
                // still the head: the kernel would loop on it forever; ext4_orphan_get's checks keep it from that
                msgs.add(KernelMessage.error("ext4_orphan_cleanup", "orphan inode " + ino + " not removed from the list"));
                es.s_last_orphan(0);
                break;
            }
        }
        if (nrOrphans > 0) {
            msgs.add(KernelMessage.info(nrOrphans + " orphan inode" + plural(nrOrphans) + " deleted"));
        }
        if (nrTruncates > 0) {
            msgs.add(KernelMessage.info(nrTruncates + " truncate" + plural(nrTruncates) + " cleaned up"));
        }
        return msgs;
    }

    private static String plural(int n) {
        return n == 1 ? "" : "s";
    }

    /**
     * ext4_orphan_get (ialloc.c): the inode only if its bitmap bit says it is in use (a chain e2fsck already cleared
     * would otherwise free a reused inode), it can be truncated, and its link points inside the inode table; any
     * doubt ends the cleanup rather than risk freeing live blocks.
     */
    private Ext4InodeInfo orphanGet(TraceContext ctx, int ino, List<KernelMessage> msgs) {
        SuperBlock es = sb.fs.superBlock();
        long maxIno = es.s_inodes_count();
        if (ino < es.s_first_ino() || ino > maxIno) {
            return bad(ino, msgs);
        }
        int perGroup = sb.fs.geometry().inodesPerGroup();
        int group = (ino - 1) / perGroup;
        sb.readInodeBitmap(ctx, group);
        if (!Bitmaps.test(sb.fs.bitmaps().inodeBitmap(group), (ino - 1) % perGroup)) {
            return bad(ino, msgs);
        }
        Ext4InodeInfo ei;
        try {
            ei = sb.igetOrphan(ino);
        } catch (ErrnoException e) {
            msgs.add(KernelMessage.error("ext4_orphan_get", "couldn't read orphan inode " + ino + " (err "
                    + -e.errno().code() + ")"));
            return null;
        }
        // ext4_can_truncate also admits directories and symlinks; the simulation truncates regular files only
        if ((ei.nlink() > 0 && !ei.isReg()) || ei.raw.i_dtime() > maxIno) {
            if (ei.nlink() == 0 && ei.openCount == 0) {
                sb.forgetInode(ino); // iput of a bad deleted inode frees nothing
            }
            return bad(ino, msgs);
        }
        return ei;
    }

    private static Ext4InodeInfo bad(int ino, List<KernelMessage> msgs) {
        msgs.add(KernelMessage.error("ext4_orphan_get", "bad orphan inode " + ino));
        return null;
    }
}
