/**
 * The log of drivers/md/dm-log-writes.c: every write that reached the disk, in the order it became durable, with the
 * cache flushes, FUA writes and marks between them, so that the disk can be rebuilt as it was at any of them. The
 * layout is the kernel's (and xfstests' {@code replay-log} reads it): a super sector, then per entry a sector holding
 * {@code struct log_write_entry} (and a mark's text) followed by the entry's data.
 */
package dev.ext4sim.ondisk.logwrites;
