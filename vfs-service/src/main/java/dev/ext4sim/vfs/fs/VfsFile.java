package dev.ext4sim.vfs.fs;

import java.util.concurrent.locks.ReentrantLock;

/**
 * struct file: one open of an inode, with its position and flags. {@code f_pos_lock} serializes read and write on
 * it, as fdget_pos does, so two writers sharing an fd never write at the same position.
 */
public final class VfsFile {
    private final String path;
    private final long ino;
    private final long mount;
    private final boolean directory;
    private final OpenFlags flags;
    final ReentrantLock fPosLock = new ReentrantLock();
    private long fPos;

    public VfsFile(String path, long ino, long mount, boolean directory, OpenFlags flags) {
        this.path = path;
        this.ino = ino;
        this.mount = mount;
        this.directory = directory;
        this.flags = flags;
    }

    public String path() {
        return path;
    }

    public long ino() {
        return ino;
    }

    public long mount() {
        return mount;
    }

    public boolean isDirectory() {
        return directory;
    }

    public OpenFlags flags() {
        return flags;
    }

    public long pos() {
        fPosLock.lock();
        try {
            return fPos;
        } finally {
            fPosLock.unlock();
        }
    }

    void setPos(long pos) {
        fPos = pos;
    }

    long rawPos() {
        return fPos;
    }
}
