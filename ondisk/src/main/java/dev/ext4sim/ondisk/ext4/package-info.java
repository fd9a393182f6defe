/**
 * The ext4 on-disk format: codecs that are views over the raw bytes with kernel-named accessors
 * ({@link dev.ext4sim.ondisk.ext4.SuperBlock}, {@link dev.ext4sim.ondisk.ext4.GroupDesc},
 * {@link dev.ext4sim.ondisk.ext4.Inode}) and parsed forms for lists ({@link dev.ext4sim.ondisk.ext4.ExtentNode},
 * {@link dev.ext4sim.ondisk.ext4.DirBlock}), every metadata_csum checksum, {@link dev.ext4sim.ondisk.ext4.Mkfs},
 * and a small filesystem ({@link dev.ext4sim.ondisk.ext4.Ext4Filesystem}) split as fs/ext4 is: super, ialloc,
 * mballoc, inode table, extents, namei, file io.
 *
 * <p>Supported: 4 KiB blocks for mkfs (any block size to read), extents, linear directories (htree read
 * only), 32- or 64-byte descriptors, flex_bg, sparse_super. Not supported: bigalloc, meta_bg, inline data,
 * xattrs, unlink and truncate.
 */
package dev.ext4sim.ondisk.ext4;
