package dev.ext4sim.jbd2.journal;

/**
 * {@code jbd2_seq_info_show} (fs/jbd2/journal.c): the text of /proc/fs/jbd2/&lt;dev&gt;-&lt;ino&gt;/info, ondisk-jbd2.md §12.
 * Averages are integer divisions in jiffies, then {@code jiffies_to_msecs}.
 */
public final class ProcInfo {
    private ProcInfo() {
    }

    public static String path(JournalConfig config) {
        return "/proc/fs/jbd2/" + config.devName() + "/info";
    }

    public static String render(JournalStats.Snapshot s, int maxTransactionBuffers, JournalConfig config) {
        StringBuilder b = new StringBuilder();
        b.append(s.transactions()).append(" transactions (").append(s.requested()).append(" requested), each up to ")
                .append(maxTransactionBuffers).append(" blocks\n");
        if (s.transactions() == 0) {
            return b.toString();
        }
        long n = s.transactions();
        b.append("average: \n");
        b.append("  ").append(config.jiffiesToMsecs(s.waitTime() / n)).append("ms waiting for transaction\n");
        b.append("  ").append(s.requested() == 0 ? 0 : config.jiffiesToMsecs(s.requestDelay() / s.requested()))
                .append("ms request delay\n");
        b.append("  ").append(config.jiffiesToMsecs(s.running() / n)).append("ms running transaction\n");
        b.append("  ").append(config.jiffiesToMsecs(s.locked() / n)).append("ms transaction was being locked\n");
        b.append("  ").append(config.jiffiesToMsecs(s.flushing() / n)).append("ms flushing data (in ordered mode)\n");
        b.append("  ").append(config.jiffiesToMsecs(s.logging() / n)).append("ms logging transaction\n");
        b.append("  ").append(s.averageCommitTimeNanos() / 1000).append("us average transaction commit time\n");
        b.append("  ").append(s.handleCount() / n).append(" handles per transaction\n");
        b.append("  ").append(s.blocks() / n).append(" blocks per transaction\n");
        b.append("  ").append(s.blocksLogged() / n).append(" logged blocks per transaction\n");
        return b.toString();
    }
}
