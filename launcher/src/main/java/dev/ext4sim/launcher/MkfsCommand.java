package dev.ext4sim.launcher;

import dev.ext4sim.ondisk.ext4.Ext4Filesystem;
import dev.ext4sim.ondisk.ext4.Geometry;
import dev.ext4sim.ondisk.ext4.Mkfs;
import dev.ext4sim.ondisk.ext4.MkfsOptions;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * {@code ./ext4sim mkfs [IMAGE] [--size 1G] [--uuid UUID] [--label NAME] [--no-64bit] [--force]}: a fresh ext4
 * image, reported as mke2fs reports one.
 */
final class MkfsCommand {
    static final String USAGE = "usage: ./ext4sim mkfs [IMAGE] [--size 1G] [--uuid UUID] [--label NAME] [--no-64bit] [--force]";

    private final PrintStream out;

    MkfsCommand(PrintStream out) {
        this.out = out;
    }

    /** @param image where the image goes when no IMAGE argument is given */
    int run(List<String> args, Path image, boolean stackUsesIt) {
        MkfsOptions options = MkfsOptions.defaults();
        boolean force = false;
        List<String> positional = new ArrayList<>();
        try {
            for (int i = 0; i < args.size(); i++) {
                String a = args.get(i);
                switch (a) {
                    case "--size", "-s" -> options = options.withSize(SizeArgument.parse(value(args, ++i, a)));
                    case "--uuid", "-U" -> options = options.withUuid(UUID.fromString(value(args, ++i, a)));
                    case "--label", "-L" -> options = options.withLabel(value(args, ++i, a));
                    case "--no-64bit" -> options = options.with64bit(false);
                    case "--force", "-F" -> force = true;
                    default -> {
                        if (a.startsWith("-")) {
                            throw new IllegalArgumentException("unknown option " + a);
                        }
                        positional.add(a);
                    }
                }
            }
            if (positional.size() > 1) {
                throw new IllegalArgumentException("one image at a time, got " + positional);
            }
        } catch (IllegalArgumentException e) {
            out.println("ext4sim mkfs: " + e.getMessage() + "\n" + USAGE);
            return 2;
        }
        Path target = positional.isEmpty() ? image : Path.of(positional.getFirst()).toAbsolutePath();
        if (target.equals(image) && stackUsesIt) {
            out.println("ext4sim mkfs: the running stack has " + target + " open; run ./ext4sim down first");
            return 1;
        }
        try {
            if (Files.isDirectory(target)) {
                out.println("ext4sim mkfs: " + target + " is a directory; name an image file");
                return 1;
            }
            if (Files.exists(target) && Files.size(target) > 0 && !force) {
                out.println("ext4sim mkfs: " + target + " exists; pass --force to overwrite it (everything on it is lost)");
                return 1;
            }
            Files.createDirectories(target.toAbsolutePath().getParent());
        } catch (IOException e) {
            out.println("ext4sim mkfs: cannot use " + target + ": " + e.getMessage());
            return 1;
        }
        return format(target, options);
    }

    private int format(Path target, MkfsOptions options) {
        long started = System.nanoTime();
        // Formatted beside the target and renamed over it, so that a failure leaves the target as it was.
        Path staging = target.resolveSibling(target.getFileName() + ".mkfs-" + ProcessHandle.current().pid());
        try {
            Mkfs.format(staging, options);
            Files.move(staging, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (RuntimeException | IOException e) {
            out.println("ext4sim mkfs: " + e.getMessage());
            return 1;
        } finally {
            try {
                Files.deleteIfExists(staging);
            } catch (IOException e) {
                out.println("ext4sim mkfs: could not remove " + staging + ": " + e.getMessage());
            }
        }
        long millis = (System.nanoTime() - started) / 1_000_000;
        try (Ext4Filesystem fs = Ext4Filesystem.open(target)) {
            Geometry g = fs.geometry();
            out.printf("Created a filesystem with %d 4k blocks and %d inodes%n", g.blocksCount(),
                    (long) g.inodesPerGroup() * g.groupCount());
            out.println("Filesystem UUID: " + uuid(fs.uuid()));
            List<String> backups = new ArrayList<>();
            for (int group = 1; group < g.groupCount(); group++) {
                if (g.hasSuper(group)) {
                    backups.add(String.valueOf(g.groupFirstBlock(group)));
                }
            }
            if (!backups.isEmpty()) {
                out.println("Superblock backups stored on blocks: " + String.join(", ", backups));
            }
            out.printf("Journal (inode %d): %d blocks%n", fs.journalInum(), fs.journalBlocks());
            out.printf("%s: ext4 image ready in %d ms; check it with: e2fsck -fn %s%n", target, millis, target);
        }
        return 0;
    }

    private static String value(List<String> args, int i, String option) {
        if (i >= args.size()) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args.get(i);
    }

    private static String uuid(byte[] b) {
        long hi = 0;
        long lo = 0;
        for (int i = 0; i < 8; i++) {
            hi = hi << 8 | (b[i] & 0xFF);
            lo = lo << 8 | (b[8 + i] & 0xFF);
        }
        return new UUID(hi, lo).toString();
    }
}
