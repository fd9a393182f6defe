package dev.ext4sim.ext4.fs;

import java.util.ArrayList;
import java.util.List;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * The address_space of one regular file: 4 KiB pages by index with their dirty state and the state of their single
 * buffer head (a 4 KiB page holds one 4 KiB block). Pages are never evicted except by truncate: memory pressure is
 * not simulated.
 */
final class PageCache {
    static final int PAGE_SIZE = 4096;
    static final int PAGE_SHIFT = 12;

    static final class Page {
        final long index;
        final byte[] data = new byte[PAGE_SIZE];
        boolean dirty;
        /** buffer_mapped: the block is known (delayed, or allocated); write_begin then skips get_block. */
        boolean mapped;

        Page(long index) {
            this.index = index;
        }
    }

    private final TreeMap<Long, Page> pages = new TreeMap<>();
    /** The PAGECACHE_TAG_DIRTY index: writeback walks only these. */
    private final TreeMap<Long, Page> dirty = new TreeMap<>();

    Page find(long index) {
        return pages.get(index);
    }

    /** grab_cache_page_write_begin: the page, created (zeroed, not uptodate from disk) if absent. */
    Page grab(long index) {
        return pages.computeIfAbsent(index, Page::new);
    }

    void setDirty(Page p) {
        if (!p.dirty) {
            p.dirty = true;
            dirty.put(p.index, p);
        }
    }

    void clearDirty(Page p) {
        if (p.dirty) {
            p.dirty = false;
            dirty.remove(p.index);
        }
    }

    int dirtyPages() {
        return dirty.size();
    }

    /** Dirty pages with index in [from, to], in index order: a live view, not to be changed while walked. */
    Iterable<Page> dirtyIn(long from, long to) {
        if (from > to) {
            return List.of();
        }
        return dirty.subMap(from, true, to, true).values();
    }

    /** truncate_inode_pages_range from {@code from} on: returns how many of the dropped pages were dirty. */
    int truncateFrom(long from) {
        NavigableMap<Long, Page> tail = pages.tailMap(from, true);
        int dirtyDropped = 0;
        for (Page p : new ArrayList<>(tail.values())) {
            if (p.dirty) {
                dirtyDropped++;
                clearDirty(p);
            }
        }
        tail.clear();
        return dirtyDropped;
    }

    void remove(Page p) {
        clearDirty(p);
        pages.remove(p.index);
    }
}
