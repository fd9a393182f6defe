package dev.ext4sim.ondisk;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs the real e2fsprogs (mke2fs, e2fsck, debugfs, dumpe2fs) against images, for the cross-checks. A missing
 * tool fails the test with what to do rather than skipping it: CI installs e2fsprogs.
 */
public final class E2fsprogs {
    /** What a command printed (stdout and stderr, interleaved) and its exit status. */
    public record Result(int exit, String output, byte[] stdout) {
    }

    private static final long TIMEOUT_SECONDS = 120;

    private E2fsprogs() {
    }

    public static Result run(String... command) {
        return run(Map.of(), command);
    }

    /** Runs {@code command} with extra environment (for example E2FSPROGS_FAKE_TIME), stdout kept apart as bytes. */
    public static Result run(Map<String, String> env, String... command) {
        String tool = find(command[0]);
        List<String> cmd = new ArrayList<>(List.of(command));
        cmd.set(0, tool);
        try {
            Path err = Files.createTempFile("e2fsprogs", ".err");
            try {
                ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(err.toFile());
                pb.environment().putAll(env);
                Process p = pb.start();
                p.getOutputStream().close();
                byte[] out = p.getInputStream().readAllBytes();
                if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new AssertionError(String.join(" ", cmd) + " did not finish in " + TIMEOUT_SECONDS + " s");
                }
                String text = new String(out, StandardCharsets.UTF_8) + Files.readString(err);
                return new Result(p.exitValue(), text, out);
            } finally {
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(String.join(" ", cmd) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted running " + cmd, e);
        }
    }

    /** {@code e2fsck -fn}: a full read-only check. Exit 0 means no problem found. */
    public static Result fsckReadOnly(Path image) {
        return run("e2fsck", "-fn", image.toString());
    }

    /**
     * {@code e2fsck -E journal_only -y}: replays the journal as a mount after a crash would, and checks nothing, so
     * a later {@link #fsckReadOnly} sees every error the image has. Use on a copy.
     */
    public static Result replayJournal(Path image) {
        return run("e2fsck", "-E", "journal_only", "-y", image.toString());
    }

    /** {@code debugfs -R REQUEST IMAGE}, read-only. */
    public static Result debugfs(Path image, String request) {
        return run("debugfs", "-R", request, image.toString());
    }

    private static String find(String tool) {
        for (String dir : List.of("/sbin", "/usr/sbin", "/bin", "/usr/bin")) {
            Path p = Path.of(dir, tool);
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        String path = System.getenv().getOrDefault("PATH", "");
        for (String dir : path.split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
                return Path.of(dir, tool).toString();
            }
        }
        throw new AssertionError(tool + " is not installed; the on-disk cross-checks need e2fsprogs: apt-get install -y e2fsprogs");
    }
}
