package dev.ext4sim.launcher;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Optional;

/**
 * The stack's admin token: what the admin and fault calls (crash points, blockdev's faults and power cut) need, in
 * EXT4SIM_HOME/admin.token, readable by its owner only. Made by the first `up`, kept across stacks of the same data
 * folder, handed to each service as EXT4SIM_ADMIN_TOKEN.
 */
final class AdminToken {
    private AdminToken() {
    }

    static Path file(Settings settings) {
        return settings.home().resolve("admin.token");
    }

    static String ensure(Settings settings) throws IOException {
        Optional<String> existing = read(settings);
        if (existing.isPresent()) {
            return existing.get();
        }
        byte[] random = new byte[16];
        new SecureRandom().nextBytes(random);
        String token = HexFormat.of().formatHex(random);
        Path file = file(settings);
        Files.createDirectories(file.getParent());
        Path tmp = file.resolveSibling("admin.token.tmp");
        Files.deleteIfExists(tmp);
        try {
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            Files.createFile(tmp);
        }
        Files.writeString(tmp, token + "\n");
        Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        return token;
    }

    static Optional<String> read(Settings settings) {
        try {
            String t = Files.readString(file(settings)).strip();
            return t.isEmpty() ? Optional.empty() : Optional.of(t);
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
