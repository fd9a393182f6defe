package dev.ext4sim.ext4.fs;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The dentries of this mount's names (fs/dcache.c, as far as it decides whether ext4 is asked): a name the VFS has
 * looked up, created or unlinked since the mount has a dentry, positive or negative, and a path walk that meets it
 * calls no ext4_lookup. So only the first lookup of a name reads the directory (and traces its block mapping).
 * Unused dentries go oldest first past {@link #MAX}, as the shrinker would take them.
 */
final class Dcache {
    static final int MAX = 1 << 16;

    private record Name(int dir, String name) {
    }

    private final Map<Name, Integer> dentries = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Name, Integer> eldest) {
            return size() > MAX;
        }
    };

    /** d_lookup: the inode of {@code name} (0 for a negative dentry), or null when there is no dentry. */
    Integer lookup(int dir, String name) {
        return dentries.get(new Name(dir, name));
    }

    /** d_add / d_instantiate ({@code ino} > 0), or a negative dentry ({@code ino} 0: not found, or unlinked). */
    void add(int dir, String name, int ino) {
        dentries.put(new Name(dir, name), ino);
    }
}
