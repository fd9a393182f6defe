/**
 * The plain-Java kernel core of ext4-service, named after fs/ext4 and the page cache: {@link
 * dev.ext4sim.ext4.fs.Ext4Mount} is the mounted filesystem and its operations (the VFS's calls, the flusher's
 * writepages, jbd2's ordered-data callback); {@code Super} (super.c), {@code BufferCache} (metadata buffer heads),
 * {@code PageCache}, {@code ExtentStatus} (extents_status.c), {@code DaWrite} (the buffered write path of inode.c),
 * {@code MapBlocks} (ext4_map_blocks, ext4_ext_map_blocks), {@code MbNewBlocks} and {@code MballocEvents}
 * (ext4_mb_new_blocks and mballoc's tracepoints), {@code Writepages}, {@code Fsync},
 * {@code Ext4Namei}, {@code Truncate}, {@code Evict}, {@code MarkInodeDirty} (__mark_inode_dirty), and {@link
 * dev.ext4sim.ext4.fs.Ext4Trace} with every tracepoint in its 4.x text. On-disk structures come from the ondisk
 * library, driven over the buffer cache so that every metadata change goes into a journal handle.
 *
 * <p>One lock per mounted filesystem serialises the operations; commit waits, cache flushes and throttling pauses are
 * taken outside it, so jbd2's commit can call {@code submitInodeData} while a fsync waits for that commit.
 */
package dev.ext4sim.ext4.fs;
