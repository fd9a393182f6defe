package dev.ext4sim.ondisk;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** A filesystem image in a regular file, read and written in whole blocks. Created sparse. */
public final class ImageFile implements BlockDevice, AutoCloseable {
    private final Path path;
    private final FileChannel channel;
    private final int blockSize;
    private final long blocks;

    private ImageFile(Path path, FileChannel channel, int blockSize, long blocks) {
        this.path = path;
        this.channel = channel;
        this.blockSize = blockSize;
        this.blocks = blocks;
    }

    /** Creates (or truncates) a sparse image of {@code bytes} bytes, which must be whole blocks. */
    public static ImageFile create(Path path, long bytes, int blockSize) {
        if (bytes <= 0 || bytes % blockSize != 0) {
            throw new IllegalArgumentException("image size " + bytes + " is not a positive multiple of the block size " + blockSize);
        }
        try {
            FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.SPARSE);
            // A zero byte at the very end sets the size without allocating the blocks before it.
            ch.write(ByteBuffer.allocate(1), bytes - 1);
            return new ImageFile(path, ch, blockSize, bytes / blockSize);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create image " + path + ": " + e.getMessage(), e);
        }
    }

    /** Opens an existing image. A size that is not whole blocks is reported by the caller that knows the geometry. */
    public static ImageFile open(Path path, int blockSize) {
        try {
            if (!Files.isRegularFile(path)) {
                throw new OnDiskException("image " + path, -1, "no such file; create one with ./ext4sim mkfs " + path);
            }
            FileChannel ch = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
            return new ImageFile(path, ch, blockSize, ch.size() / blockSize);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open image " + path + ": " + e.getMessage(), e);
        }
    }

    /**
     * A copy of this image in {@code to} that leaves its blocks of zeros out, as holes of a sparse file; read a MiB at
     * a time, so a 1 GiB image that is mostly holes copies in well under a second.
     */
    public void copySparse(Path to) {
        int chunk = 256;
        try (ImageFile copy = create(to, blocks * blockSize, blockSize)) {
            ByteBuffer buf = ByteBuffer.allocate(chunk * blockSize);
            byte[] b = buf.array();
            for (long at = 0; at < blocks; at += chunk) {
                int n = (int) Math.min(chunk, blocks - at);
                buf.clear().limit(n * blockSize);
                while (buf.hasRemaining()) {
                    if (channel.read(buf, at * blockSize + buf.position()) < 0) {
                        throw new OnDiskException("image " + path, at, "ends inside this block; the image is truncated");
                    }
                }
                for (int i = 0; i < n; i++) {
                    int from = i * blockSize;
                    if (!isZero(b, from, blockSize)) {
                        copy.write(at + i, java.util.Arrays.copyOfRange(b, from, from + blockSize));
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("copy of " + path + " to " + to + " failed: " + e.getMessage(), e);
        }
    }

    private static boolean isZero(byte[] b, int from, int len) {
        for (int i = from; i < from + len; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }

    public Path path() {
        return path;
    }

    /** Size of the file in bytes, which may not be whole blocks if the image was truncated. */
    public long sizeBytes() {
        try {
            return channel.size();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public int blockSize() {
        return blockSize;
    }

    @Override
    public long blocks() {
        return blocks;
    }

    @Override
    public void read(long block, byte[] dst) {
        check(block, dst);
        ByteBuffer buf = ByteBuffer.wrap(dst);
        long pos = block * blockSize;
        try {
            while (buf.hasRemaining()) {
                int n = channel.read(buf, pos + buf.position());
                if (n < 0) {
                    throw new OnDiskException("image " + path, block, "ends inside this block; the image is truncated");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("read of block " + block + " of " + path + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void write(long block, byte[] src) {
        check(block, src);
        ByteBuffer buf = ByteBuffer.wrap(src);
        long pos = block * blockSize;
        try {
            while (buf.hasRemaining()) {
                channel.write(buf, pos + buf.position());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("write of block " + block + " of " + path + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void flush() {
        try {
            channel.force(false);
        } catch (IOException e) {
            throw new UncheckedIOException("flush of " + path + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void check(long block, byte[] b) {
        if (b.length != blockSize) {
            throw new IllegalArgumentException("buffer of " + b.length + " bytes for a block of " + blockSize);
        }
        if (block < 0 || block >= blocks) {
            throw new OnDiskException("image " + path, block, "outside the image, which holds " + blocks + " blocks");
        }
    }
}
