package dev.ext4sim.vfs.fs;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.ext4.Ext4Calls;
import dev.ext4sim.bus.ext4.Ext4Calls.Attr;
import dev.ext4sim.bus.trace.TraceContext;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * fs/namei.c: path_lookupat and path_parentat over {@link InodeOps#lookup}. Every process's working directory is
 * "/", so a relative path starts there too. "." and ".." are followed in the walk itself (follow_dotdot), as the
 * dcache does, and ".." of the root is the root.
 */
public final class Namei {
    /** PATH_MAX counts the terminating NUL. */
    public static final int PATH_MAX = 4096;
    public static final int NAME_MAX = 255;

    private final InodeOps ops;

    public Namei(InodeOps ops) {
        this.ops = ops;
    }

    /**
     * The parent of a path's last component: {@code last} is null when the path names the root or ends in "." or
     * "..", where there is nothing to create.
     */
    public record Parent(Attr dir, String last, boolean trailingSlash) {
    }

    /** path_lookupat: the inode a path names. */
    public Attr lookup(String path, TraceContext ctx) {
        Parent p = parent(path, ctx);
        if (p.last() == null) {
            return p.dir();
        }
        Attr a = ops.lookup(p.dir().ino(), p.last(), ctx);
        if (p.trailingSlash() && !a.isDir()) {
            throw new ErrnoException(Errno.ENOTDIR, path + ": " + p.last() + " is not a directory (the path ends in '/')");
        }
        return a;
    }

    /** path_parentat: walks every component but the last. */
    public Parent parent(String path, TraceContext ctx) {
        List<String> parts = components(path);
        boolean trailingSlash = path.length() > 1 && path.endsWith("/");
        Deque<Attr> stack = new ArrayDeque<>();
        stack.push(ops.getattr(Ext4Calls.ROOT_INO, ctx));
        for (int i = 0; i < parts.size(); i++) {
            String name = parts.get(i);
            boolean last = i == parts.size() - 1;
            if (name.equals(".")) {
                continue;
            }
            if (name.equals("..")) {
                if (stack.size() > 1) {
                    stack.pop();
                }
                continue;
            }
            if (last) {
                return new Parent(stack.peek(), name, trailingSlash);
            }
            Attr next = ops.lookup(stack.peek().ino(), name, ctx);
            if (!next.isDir()) {
                throw new ErrnoException(Errno.ENOTDIR, path + ": " + name + " is not a directory");
            }
            stack.push(next);
        }
        return new Parent(stack.peek(), null, trailingSlash);
    }

    static List<String> components(String path) {
        if (path == null || path.isEmpty()) {
            throw new ErrnoException(Errno.ENOENT, "the path is empty; give an absolute path such as /hello");
        }
        if (path.indexOf('\0') >= 0) {
            throw new ErrnoException(Errno.EINVAL, "the path contains a NUL byte");
        }
        int bytes = path.getBytes(StandardCharsets.UTF_8).length;
        if (bytes >= PATH_MAX) {
            throw new ErrnoException(Errno.ENAMETOOLONG, "the path is " + bytes + " bytes; PATH_MAX is " + PATH_MAX
                    + " including the terminating NUL");
        }
        List<String> parts = new ArrayList<>();
        for (String part : path.split("/")) {
            if (part.isEmpty()) {
                continue;
            }
            int n = part.getBytes(StandardCharsets.UTF_8).length;
            if (n > NAME_MAX) {
                throw new ErrnoException(Errno.ENAMETOOLONG, "a component of the path is " + n + " bytes; NAME_MAX is " + NAME_MAX);
            }
            parts.add(part);
        }
        return parts;
    }
}
