package dev.ext4sim.ondisk.ext4;

/** ENOSPC: no free block or inode left for the request. */
public final class NoSpaceException extends RuntimeException {
    public NoSpaceException(String what) {
        super("no space left on device: " + what);
    }
}
