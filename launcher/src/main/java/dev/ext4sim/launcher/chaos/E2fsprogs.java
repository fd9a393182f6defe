package dev.ext4sim.launcher.chaos;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** e2fsck and debugfs on the stack's image (read-only) and on copies of it. */
public final class E2fsprogs {
    public record Result(int exit, String output) {
    }

    public Result fsck(Path image) throws IOException, InterruptedException {
        Run r = run(List.of(tool("e2fsck"), "-fn", image.toString()));
        return new Result(r.exit, new String(r.stdout, StandardCharsets.UTF_8) + r.stderr);
    }

    /** e2fsck's own journal replay and nothing else, on a copy: {@code e2fsck -E journal_only -y}. */
    public Result replayJournal(Path copy) throws IOException, InterruptedException {
        Run r = run(List.of(tool("e2fsck"), "-E", "journal_only", "-y", copy.toString()));
        Result result = new Result(r.exit, new String(r.stdout, StandardCharsets.UTF_8) + r.stderr);
        if (r.exit > 1) {
            throw new IOException("e2fsck -E journal_only " + copy + " exit " + r.exit + ": " + result.output());
        }
        return result;
    }

    /** A copy that stays as sparse as the image (a 1 GiB image holds far less). */
    public void copySparse(Path from, Path to) throws IOException, InterruptedException {
        Run r = run(List.of("cp", "--sparse=always", from.toString(), to.toString()));
        if (r.exit != 0) {
            throw new IOException("cp " + from + " " + to + " failed: " + r.stderr);
        }
    }

    /** The file's bytes as debugfs reads them from the image; empty when it cannot. */
    public byte[] cat(Path image, String path) throws IOException, InterruptedException {
        return run(List.of(tool("debugfs"), "-R", "cat " + path, image.toString())).stdout;
    }

    private record Run(int exit, byte[] stdout, String stderr) {
    }

    private static Run run(List<String> cmd) throws IOException, InterruptedException {
        Path err = Files.createTempFile("ext4sim-chaos", ".err");
        try {
            Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(300, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", cmd) + " did not finish in 300 s");
            }
            return new Run(p.exitValue(), out, Files.readString(err));
        } finally {
            Files.deleteIfExists(err);
        }
    }

    private static String tool(String name) throws IOException {
        for (String dir : List.of("/sbin", "/usr/sbin", "/bin", "/usr/bin")) {
            if (Files.isExecutable(Path.of(dir, name))) {
                return dir + "/" + name;
            }
        }
        throw new IOException(name + " is not installed; install e2fsprogs (apt-get install e2fsprogs)");
    }
}
