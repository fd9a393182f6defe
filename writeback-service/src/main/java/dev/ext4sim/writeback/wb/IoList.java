package dev.ext4sim.writeback.wb;

import java.util.ArrayList;
import java.util.List;

/**
 * A list_head of inodes linked through i_io_list (b_dirty, b_io, b_more_io, b_dirty_time): list_add puts an inode
 * at the head, the flusher takes from the tail ({@code list->prev}), so b_dirty runs newest to oldest. Moves are O(1)
 * as in the kernel. Not thread-safe: the wb's list_lock guards it.
 */
final class IoList {
    final String name;
    private WbInode head;
    private WbInode tail;
    private int size;

    IoList(String name) {
        this.name = name;
    }

    boolean isEmpty() {
        return size == 0;
    }

    int size() {
        return size;
    }

    /** list->next: the newest. */
    WbInode first() {
        return head;
    }

    /** list->prev: the oldest, the next one the flusher takes. */
    WbInode last() {
        return tail;
    }

    /** list_move(inode, this): off whatever list it is on, onto this one's head. */
    void move(WbInode inode) {
        if (inode.list != null) {
            inode.list.remove(inode);
        }
        inode.next = head;
        inode.prev = null;
        if (head != null) {
            head.prev = inode;
        } else {
            tail = inode;
        }
        head = inode;
        inode.list = this;
        size++;
    }

    /** list_del_init. */
    void remove(WbInode inode) {
        if (inode.list != this) {
            return;
        }
        if (inode.prev != null) {
            inode.prev.next = inode.next;
        } else {
            head = inode.next;
        }
        if (inode.next != null) {
            inode.next.prev = inode.prev;
        } else {
            tail = inode.prev;
        }
        inode.prev = null;
        inode.next = null;
        inode.list = null;
        size--;
    }

    /** list_splice_init(from, this): from's inodes, in their order, go in front of this list's head. */
    void spliceInit(IoList from) {
        List<WbInode> moving = from.toList();
        for (int i = moving.size() - 1; i >= 0; i--) {
            move(moving.get(i));
        }
    }

    /** Head (newest) to tail (oldest). */
    List<WbInode> toList() {
        List<WbInode> out = new ArrayList<>(size);
        for (WbInode i = head; i != null; i = i.next) {
            out.add(i);
        }
        return out;
    }
}
