package dev.ext4sim.ext4.fs;

import java.util.ArrayList;
import java.util.List;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * The address_space of one regular file: 4 KiB pages by index with their dirty state and the state of their single
 * buffer head (a 4 KiB page holds one 4 KiB block). Clean pages are reclaimed when the filesystem's page cache
 * outgrows its limit ({@link Super#reclaimPages}); a later read or partial write reads the block again.
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
        /**
         * data=journal: the page's buffer was logged, and jbd2 writes it home when it checkpoints, on its own time. Such
         * a page is never dropped while the inode lives (jbd2_journal_try_to_free_buffers refuses it), or a read would
         * find the home block older than the journal's copy.
         */
        boolean journaled;

        Page(long index) {
            this.index = index;
        }
    }

    private final TreeMap<Long, Page> pages = new TreeMap<>();
    /** NR_FILE_PAGES of the filesystem, which every inode's cache adds to. */
    private final java.util.concurrent.atomic.AtomicLong cached;
    /** The PAGECACHE_TAG_DIRTY index: writeback walks only these. */
    private final TreeMap<Long, Page> dirty = new TreeMap<>();

    PageCache(java.util.concurrent.atomic.AtomicLong cached) {
        this.cached = cached;
    }

    Page find(long index) {
        return pages.get(index);
    }

    /** grab_cache_page_write_begin: the page, created (zeroed, not uptodate from disk) if absent. */
    Page grab(long index) {
        Page p = pages.get(index);
        if (p == null) {
            p = new Page(index);
            pages.put(index, p);
            cached.incrementAndGet();
        }
        return p;
    }

    int size() {
        return pages.size();
    }

    /**
     * shrink_page_list over this file: up to {@code max} clean pages leave the cache (their blocks are on the device:
     * writeback cleans a page only once the device has it), never a journaled one. Returns how many went.
     */
    long evictClean(long max) {
        long n = 0;
        var it = pages.values().iterator();
        while (it.hasNext() && n < max) {
            Page p = it.next();
            if (!p.dirty && !p.journaled) {
                it.remove();
                n++;
            }
        }
        cached.addAndGet(-n);
        return n;
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

    /** The cached pages with index in [from, to], in index order (a copy). */
    List<Page> cachedIn(long from, long to) {
        return from > to ? List.of() : new ArrayList<>(pages.subMap(from, true, to, true).values());
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
        cached.addAndGet(-tail.size());
        tail.clear();
        return dirtyDropped;
    }

    void remove(Page p) {
        clearDirty(p);
        if (pages.remove(p.index) != null) {
            cached.decrementAndGet();
        }
    }

    /** The inode leaves memory (evict, or the mount goes): its pages stop counting. */
    void forget() {
        cached.addAndGet(-pages.size());
        pages.clear();
        dirty.clear();
    }
}
