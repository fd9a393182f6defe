package dev.ext4sim.vfs.fs;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.ext4.Ext4Calls;
import dev.ext4sim.bus.ext4.Ext4Calls.Attr;
import dev.ext4sim.bus.ext4.Ext4Calls.WriteResult;
import dev.ext4sim.bus.trace.TraceContext;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** A filesystem in a map, standing in for ext4-service: enough semantics to test what the VFS decides itself. */
public final class MemoryInodeOps implements InodeOps {
    final Map<Long, Map<String, Long>> dirs = new HashMap<>();
    public final Map<Long, byte[]> files = new HashMap<>();
    final List<String> calls = new ArrayList<>();
    private long nextIno = 12;
    /** The mount of the fake: {@link #remount} stands for a restarted ext4-service. */
    private long mount = 1;

    public MemoryInodeOps() {
        dirs.put(Ext4Calls.ROOT_INO, new HashMap<>());
    }

    long mkdir(long parent, String name) {
        long ino = nextIno++;
        dirs.put(ino, new HashMap<>());
        dirs.get(parent).put(name, ino);
        return ino;
    }

    /** ext4-service started again: files opened before are refused, as ext4-service refuses them. */
    void remount() {
        mount++;
    }

    private void opened(long fileMount) {
        if (fileMount != mount) {
            throw new ErrnoException(Errno.EIO, "the file was opened on an earlier mount of sda1");
        }
    }

    @Override
    public String dev() {
        return "sda1";
    }

    private Attr attr(long ino) {
        if (dirs.containsKey(ino)) {
            return new Attr(ino, Attr.S_IFDIR | 0755, 2, 4096, 8, 0, 0, 0, mount);
        }
        byte[] b = files.get(ino);
        if (b == null) {
            throw new ErrnoException(Errno.ENOENT, "no inode " + ino);
        }
        return new Attr(ino, Attr.S_IFREG | 0644, 1, b.length, (b.length + 4095) / 4096 * 8, 0, 0, 0, mount);
    }

    @Override
    public Attr lookup(long dir, String name, TraceContext ctx) {
        calls.add("lookup " + dir + " " + name);
        Long ino = dirs.get(dir).get(name);
        if (ino == null) {
            throw new ErrnoException(Errno.ENOENT, name + " not found");
        }
        return attr(ino);
    }

    @Override
    public Attr create(long dir, String name, int mode, boolean excl, TraceContext ctx) {
        calls.add("create " + dir + " " + name + " " + Integer.toOctalString(mode) + (excl ? " excl" : ""));
        Long existing = dirs.get(dir).get(name);
        if (existing != null) {
            if (excl) {
                throw new ErrnoException(Errno.EEXIST, name + " exists");
            }
            return attr(existing);
        }
        long ino = nextIno++;
        files.put(ino, new byte[0]);
        dirs.get(dir).put(name, ino);
        return attr(ino);
    }

    @Override
    public Attr mkdir(long dir, String name, int mode, TraceContext ctx) {
        calls.add("mkdir " + dir + " " + name + " " + Integer.toOctalString(mode));
        if (dirs.get(dir).containsKey(name)) {
            throw new ErrnoException(Errno.EEXIST, name + " exists");
        }
        return attr(mkdir(dir, name));
    }

    @Override
    public void unlink(long dir, String name, TraceContext ctx) {
        calls.add("unlink " + dir + " " + name);
        Long ino = dirs.get(dir).get(name);
        if (ino == null) {
            throw new ErrnoException(Errno.ENOENT, name + " not found");
        }
        if (dirs.containsKey(ino)) {
            throw new ErrnoException(Errno.EISDIR, name + " is a directory");
        }
        dirs.get(dir).remove(name);
    }

    @Override
    public Attr getattr(long ino, TraceContext ctx) {
        return attr(ino);
    }

    @Override
    public Attr truncate(long ino, long fileMount, long size, TraceContext ctx) {
        opened(fileMount);
        calls.add("truncate " + ino + " " + size);
        files.put(ino, Arrays.copyOf(files.get(ino), (int) size));
        return attr(ino);
    }

    @Override
    public byte[] readIter(long ino, long fileMount, long pos, long length, TraceContext ctx) {
        opened(fileMount);
        byte[] b = files.get(ino);
        if (pos >= b.length) {
            return new byte[0];
        }
        return Arrays.copyOfRange(b, (int) pos, (int) Math.min(b.length, pos + length));
    }

    @Override
    public WriteResult writeIter(long ino, long fileMount, long pos, boolean append, boolean sync, boolean dsync,
                                 byte[] data, TraceContext ctx) {
        opened(fileMount);
        calls.add("write " + ino + " " + pos + (append ? " append" : "") + (sync ? " sync" : "") + (dsync ? " dsync" : ""));
        byte[] b = files.get(ino);
        long at = append ? b.length : pos;
        byte[] n = Arrays.copyOf(b, (int) Math.max(b.length, at + data.length));
        System.arraycopy(data, 0, n, (int) at, data.length);
        files.put(ino, n);
        return new WriteResult(data.length, at + data.length, n.length);
    }

    @Override
    public void fsync(long ino, long fileMount, boolean datasync, TraceContext ctx) {
        opened(fileMount);
        calls.add((datasync ? "fdatasync " : "fsync ") + ino);
    }

    @Override
    public void open(long ino, long fileMount, boolean write, TraceContext ctx) {
        opened(fileMount);
        calls.add("open " + ino + (write ? " write" : ""));
    }

    @Override
    public void release(long ino, long fileMount, boolean write, TraceContext ctx) {
        opened(fileMount);
        calls.add("release " + ino + (write ? " write" : ""));
    }

    @Override
    public void syncFs(boolean wait, TraceContext ctx) {
        calls.add("sync_fs");
    }
}
