package dev.ext4sim.ondisk.jbd2;

import dev.ext4sim.ondisk.OnDiskException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * Journal replay: {@code jbd2_journal_recover} and {@code do_one_pass} (fs/jbd2/recovery.c, identical in e2fsck),
 * three passes over the log from {@code s_start} with expected tid {@code s_sequence}:
 * <ul>
 *   <li>SCAN finds {@code end_transaction}, the first tid not to replay (stop rules below);</li>
 *   <li>REVOKE fills the revoke table with the highest revoking tid per block;</li>
 *   <li>REPLAY checks every tag (revoked? checksum?) and plans the write of its block home.</li>
 * </ul>
 * Unlike the kernel, which writes into the buffer cache as it goes, the planned writes are made only after all
 * three passes succeeded (a block not kept in memory is verified again when it is read back): an error anywhere in
 * the log leaves the filesystem untouched, and no block is written that was not verified. The end state is the
 * kernel's, since later copies of a block replace earlier ones either way.
 *
 * <p>Stop rules (ondisk-jbd2.md §10): a block without the magic or with another tid ends the log; a transaction
 * without a commit block is dropped; a commit block with a bad checksum ends the log and, unless ASYNC_COMMIT,
 * is reported as a failed commit ("transaction N was corrupt, replay was aborted") — unless its commit time is
 * older than the previous commit's, which marks stale blocks from an earlier use of the log (a clean end). A
 * descriptor or revoke block with a bad checksum followed by a commit that is not older is a corrupt log: an
 * {@link OnDiskException} naming the block, nothing written. A data block with a bad tag checksum is skipped
 * and reported in {@link RecoveryResult#errors()}.
 *
 * <p>Afterwards the journal superblock gets {@code s_start = 0} and, as e2fsck writes it,
 * {@code s_sequence = end_transaction + 1} (left unchanged when recovery reported errors, as e2fsck's
 * {@code recover_ext3_journal} skips that update on failure); then {@link RecoveryFlag} clears needs_recovery.
 */
public final class Recovery {
    enum Pass { SCAN, REVOKE, REPLAY }

    /** A verified block to write home; {@code data} is kept while within the memory budget, else read again. */
    private record PlannedWrite(long journalBlock, BlockTag tag, int tid, byte[] data) {
    }

    /** Verified copies kept in memory between REPLAY and the writes (the rest is read and verified again). */
    static final long KEEP_BYTES = 64L << 20;

    private final Journal journal;
    private final JournalSuperblock sb;
    private final TagFormat format;
    private final boolean csum;
    private final int seed;
    private final RevokeTable revokes = new RevokeTable();
    private final Map<Long, PlannedWrite> planned = new LinkedHashMap<>();
    private final List<String> errors = new ArrayList<>();
    private final long keepBytes;
    private long keptBytes;

    // struct recovery_info
    private int startTransaction;
    private int endTransaction;
    private boolean endKnown;
    private long nrReplays;
    private long nrRevokes;
    private long nrRevokeHits;
    private OptionalInt failedCommit = OptionalInt.empty();

    private Recovery(Journal journal, long keepBytes) {
        this.journal = journal;
        this.keepBytes = keepBytes;
        this.sb = journal.superblock();
        this.format = sb.tagFormat();
        this.csum = sb.csumV2or3();
        this.seed = csum ? sb.csumSeed() : 0;
    }

    /**
     * Loads the journal in {@code area}, replays it, marks it empty and calls {@code flag}. Throws
     * {@link OnDiskException} (nothing written) for a journal it cannot trust.
     */
    public static RecoveryResult recover(JournalArea area, RecoveryFlag flag) {
        return recover(area, flag, KEEP_BYTES);
    }

    /**
     * {@code jbd2_journal_skip_recovery}, as {@code jbd2_journal_wipe} runs it for a filesystem that was cleanly
     * unmounted but whose journal still holds blocks (s_start != 0): SCAN to find the end of the log, replay
     * nothing (home blocks may be newer than the log, e.g. after e2fsck), and mark the journal empty past the
     * log's last transaction so that none of its blocks is ever replayed. Writes nothing when s_start is 0.
     *
     * @return the scanned range; nothing replayed
     */
    public static RecoveryResult skip(JournalArea area) {
        return new Recovery(Journal.load(area), KEEP_BYTES).runSkip();
    }

    private RecoveryResult runSkip() {
        if (sb.start() == 0) {
            return new RecoveryResult(sb.sequence(), sb.sequence(), sb.sequence(), 0, 0, 0, 0, OptionalInt.empty(), List.of());
        }
        doOnePass(Pass.SCAN);
        int next = endTransaction + 1;
        journal.writeSuperblock(sb.withLogTail(next, 0));
        return new RecoveryResult(startTransaction, endTransaction, next, 0, 0, 0, 0, failedCommit, errors);
    }

    static RecoveryResult recover(JournalArea area, RecoveryFlag flag, long keepBytes) {
        return new Recovery(Journal.load(area), keepBytes).run(flag);
    }

    private RecoveryResult run(RecoveryFlag flag) {
        RecoveryResult result;
        if (sb.start() == 0) {
            // Nothing to replay; e2fsck still moves s_sequence on (j_transaction_sequence = s_sequence + 1).
            int next = sb.sequence() + 1;
            journal.writeSuperblock(sb.withLogTail(next, 0));
            result = new RecoveryResult(sb.sequence(), sb.sequence(), next, 0, 0, 0, 0, OptionalInt.empty(), List.of());
        } else {
            doOnePass(Pass.SCAN);
            doOnePass(Pass.REVOKE);
            doOnePass(Pass.REPLAY);
            long written = writeReplayedBlocks();
            int next = errors.isEmpty() ? endTransaction + 1 : sb.sequence();
            journal.writeSuperblock(sb.withLogTail(next, 0));
            result = new RecoveryResult(startTransaction, endTransaction, next, nrReplays, nrRevokeHits, nrRevokes,
                    written, failedCommit, errors);
        }
        flag.clearNeedsRecovery(result);
        return result;
    }

    private void doOnePass(Pass pass) {
        int nextCommitId = sb.sequence();
        long nextLogBlock = sb.start();
        if (pass == Pass.SCAN) {
            startTransaction = nextCommitId;
        }
        boolean needCheckCommitTime = false;
        long firstBadBlock = -1;
        String firstBadKind = null;
        long lastCommitTime = 0;
        long walked = 0;

        scan:
        while (true) {
            if (pass != Pass.SCAN && RevokeTable.tidGeq(nextCommitId, endTransaction)) {
                break;
            }
            if (++walked > sb.maxlen()) {
                throw journal.logError("log", nextLogBlock, "pass " + pass + " walked more blocks than the journal holds "
                        + "without reaching the end of the log");
            }
            long thisBlock = nextLogBlock;
            byte[] b = journal.area().readJournal(thisBlock);
            nextLogBlock = journal.next(nextLogBlock);

            if (!JournalHeader.hasMagic(b)) {
                break;
            }
            JournalHeader h = JournalHeader.read(b);
            if (h.sequence() != nextCommitId) {
                break;
            }

            switch (h.blockType()) {
                case JournalHeader.DESCRIPTOR_BLOCK -> {
                    if (csum && !JournalChecksum.verifyBlockTail(seed, b)) {
                        if (pass != Pass.SCAN) {
                            throw journal.logError("descriptor block", thisBlock, "tail checksum no longer matches in pass "
                                    + pass + " (transaction " + Integer.toUnsignedString(nextCommitId) + ")");
                        }
                        // Stale blocks from lazy journal init can fail here; the commit time decides later.
                        needCheckCommitTime = true;
                        if (firstBadBlock < 0) {
                            firstBadBlock = thisBlock;
                            firstBadKind = "descriptor block";
                        }
                    }
                    DescriptorBlock d = DescriptorBlock.decode(b, format);
                    if (pass != Pass.REPLAY) {
                        for (int i = 0; i < d.tags().size(); i++) {
                            nextLogBlock = journal.next(nextLogBlock);
                        }
                        continue;
                    }
                    for (BlockTag tag : d.tags()) {
                        long ioBlock = nextLogBlock;
                        nextLogBlock = journal.next(nextLogBlock);
                        replayTag(thisBlock, ioBlock, tag, h.sequence());
                    }
                }
                case JournalHeader.COMMIT_BLOCK -> {
                    if (pass == Pass.SCAN) {
                        long commitTime = CommitBlock.decode(b).commitSec();
                        if (needCheckCommitTime) {
                            if (Long.compareUnsigned(commitTime, lastCommitTime) >= 0) {
                                throw journal.logError(firstBadKind, firstBadBlock, "checksum mismatch in transaction "
                                        + Integer.toUnsignedString(nextCommitId) + ", whose commit block (journal block "
                                        + thisBlock + ") is not older than the previous commit: the log is corrupt, "
                                        + "not stale; nothing replayed");
                            }
                            break scan; // ignore_crc_mismatch: stale blocks of an earlier log
                        }
                        if (!CommitBlock.verify(b, csum, seed)) {
                            if (Long.compareUnsigned(commitTime, lastCommitTime) < 0) {
                                break scan; // ignore_crc_mismatch
                            }
                            endTransaction = nextCommitId;
                            endKnown = true;
                            if (!sb.asyncCommit()) {
                                failedCommit = OptionalInt.of(nextCommitId);
                                // The kernel's "break" leaves the switch only: the walk goes on expecting the same
                                // tid, so the next block (of the next tid) ends it.
                                continue;
                            }
                        }
                        lastCommitTime = commitTime;
                    }
                    nextCommitId++;
                }
                case JournalHeader.REVOKE_BLOCK -> {
                    if (pass == Pass.SCAN && csum && !JournalChecksum.verifyBlockTail(seed, b)) {
                        needCheckCommitTime = true;
                        if (firstBadBlock < 0) {
                            firstBadBlock = thisBlock;
                            firstBadKind = "revoke block";
                        }
                    }
                    if (pass != Pass.REVOKE) {
                        continue;
                    }
                    scanRevokeRecords(thisBlock, b, nextCommitId);
                }
                default -> {
                    break scan; // unrecognised block type: end of the log
                }
            }
        }

        if (pass == Pass.SCAN) {
            if (!endKnown) {
                endTransaction = nextCommitId;
                endKnown = true;
            }
        } else if (endTransaction != nextCommitId) {
            errors.add("recovery pass " + pass + " ended at transaction " + Integer.toUnsignedString(nextCommitId)
                    + ", expected " + Integer.toUnsignedString(endTransaction));
        }
    }

    /** {@code scan_revoke_records}. */
    private void scanRevokeRecords(long journalBlock, byte[] b, int tid) {
        RevokeBlock r = RevokeBlock.decode(b, format);
        if (r == null) {
            throw journal.logError("revoke block", journalBlock, "r_count runs past the records area of the block");
        }
        for (long block : r.blocks()) {
            revokes.setRevoke(block, tid);
            nrRevokes++;
        }
    }

    /** The body of the tag loop in PASS_REPLAY: revoked, checksum, then plan the write. */
    private void replayTag(long descriptorBlock, long ioBlock, BlockTag tag, int tid) {
        long home = tag.blockNr();
        byte[] copy = journal.area().readJournal(ioBlock);
        if (revokes.testRevoke(home, tid)) {
            nrRevokeHits++;
            return;
        }
        if (!tag.verify(format, seed, tid, copy)) {
            errors.add("invalid checksum recovering data block " + home + " from journal block " + ioBlock
                    + " (device block " + journal.area().bmap(ioBlock) + ") of transaction "
                    + Integer.toUnsignedString(tid) + "; block not replayed");
            return;
        }
        if (home >= journal.area().homeBlocks()) {
            throw journal.logError("descriptor block", descriptorBlock, "tag for journal block " + ioBlock
                    + " names home block " + home + ", outside the filesystem of " + journal.area().homeBlocks()
                    + " blocks; nothing replayed");
        }
        PlannedWrite previous = planned.remove(home);
        if (previous != null && previous.data() != null) {
            keptBytes -= previous.data().length;
        }
        byte[] keep = null;
        if (keptBytes + copy.length <= keepBytes) {
            keep = copy;
            keptBytes += copy.length;
        }
        planned.put(home, new PlannedWrite(ioBlock, tag, tid, keep));
        nrReplays++;
    }

    /** Writes each planned block home (read and verified again if not kept), the magic restored if escaped; flushes. */
    private long writeReplayedBlocks() {
        for (Map.Entry<Long, PlannedWrite> e : planned.entrySet()) {
            PlannedWrite p = e.getValue();
            byte[] b = p.data();
            if (b == null) {
                b = journal.area().readJournal(p.journalBlock());
                if (!p.tag().verify(format, seed, p.tid(), b)) {
                    throw journal.logError("data block", p.journalBlock(), "changed after it was verified; replay stopped");
                }
            }
            if (p.tag().escaped()) {
                b[0] = (byte) 0xC0;
                b[1] = 0x3B;
                b[2] = 0x39;
                b[3] = (byte) 0x98;
            }
            journal.area().writeHome(e.getKey(), b);
        }
        journal.area().flush();
        return planned.size();
    }
}
