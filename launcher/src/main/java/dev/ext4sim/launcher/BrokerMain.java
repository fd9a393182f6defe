package dev.ext4sim.launcher;

import java.io.IOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * A real Apache Kafka broker in KRaft combined mode (broker and controller in one process), data under one folder.
 * Formats the storage on first start, as kafka-storage.sh format does, then runs kafka.Kafka as
 * kafka-server-start.sh does.
 *
 * <p>Usage: BrokerMain DATA_DIR PORT CONTROLLER_PORT
 */
public final class BrokerMain {
    static final long RETENTION_BYTES = 256L << 20;
    static final long SEGMENT_BYTES = 64L << 20;

    private BrokerMain() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 3) {
            System.err.println("usage: BrokerMain DATA_DIR PORT CONTROLLER_PORT");
            System.exit(2);
        }
        Path dir = Path.of(args[0]).toAbsolutePath();
        int port = Integer.parseInt(args[1]);
        int controllerPort = Integer.parseInt(args[2]);
        Path config = writeConfig(dir, port, controllerPort);
        if (!Files.exists(dir.resolve("data/meta.properties"))) {
            int rc = kafka.tools.StorageTool.execute(new String[] {
                    "format", "--cluster-id", "ZXh0NHNpbS1rcmFmdA", "--config", config.toString(), "--ignore-formatted"},
                    System.out);
            if (rc != 0) {
                System.err.println("could not format the Kafka storage in " + dir + " (exit " + rc
                        + "); remove that folder and run ./ext4sim up again");
                System.exit(rc);
            }
        }
        kafka.Kafka.main(new String[] {config.toString()});
    }

    static Path writeConfig(Path dir, int port, int controllerPort) throws IOException {
        Files.createDirectories(dir.resolve("data"));
        Properties p = new Properties();
        p.setProperty("process.roles", "broker,controller");
        p.setProperty("node.id", "1");
        p.setProperty("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
        // In a container the clients are elsewhere: EXT4SIM_BROKER_LISTEN=0.0.0.0 and EXT4SIM_BROKER_ADVERTISED=<the
        // name clients resolve>. The controller listener stays on loopback, as only this process talks to it.
        String listen = env("EXT4SIM_BROKER_LISTEN", "127.0.0.1");
        String advertised = env("EXT4SIM_BROKER_ADVERTISED", "127.0.0.1");
        p.setProperty("listeners", "PLAINTEXT://" + listen + ":" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
        p.setProperty("advertised.listeners", "PLAINTEXT://" + advertised + ":" + port);
        p.setProperty("controller.listener.names", "CONTROLLER");
        p.setProperty("inter.broker.listener.name", "PLAINTEXT");
        p.setProperty("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.setProperty("log.dirs", dir.resolve("data").toString());
        p.setProperty("num.partitions", "1");
        p.setProperty("auto.create.topics.enable", "true");
        // One machine, one replica; one offsets partition so the first group join is not slowed by creating 50.
        p.setProperty("offsets.topic.replication.factor", "1");
        p.setProperty("offsets.topic.num.partitions", "1");
        p.setProperty("transaction.state.log.replication.factor", "1");
        p.setProperty("transaction.state.log.min.isr", "1");
        p.setProperty("transaction.state.log.num.partitions", "1");
        p.setProperty("share.coordinator.state.topic.replication.factor", "1");
        p.setProperty("share.coordinator.state.topic.min.isr", "1");
        p.setProperty("share.coordinator.state.topic.num.partitions", "1");
        // A service that joins its group serves at once, not 3 s later.
        p.setProperty("group.initial.rebalance.delay.ms", "0");
        p.setProperty("log.retention.hours", "24");
        // A call is dead after its deadline and a trace older than the gateway's buffer is never read back; a day of
        // benchmarks kept 2.3 GB here. At most 256 MiB per partition (whole 64 MiB segments go) bounds the disk.
        p.setProperty("log.retention.bytes", String.valueOf(RETENTION_BYTES));
        // blk_submit records carry block data: up to 8 MiB per call (KafkaSettings.MAX_RECORD_BYTES on the clients)
        p.setProperty("message.max.bytes", String.valueOf(16 * 1024 * 1024));
        p.setProperty("replica.fetch.max.bytes", String.valueOf(16 * 1024 * 1024));
        p.setProperty("log.segment.bytes", String.valueOf(SEGMENT_BYTES));
        Path config = dir.resolve("server.properties");
        try (Writer w = Files.newBufferedWriter(config)) {
            p.store(w, "written by ./ext4sim; edits are overwritten at the next start");
        }
        return config;
    }

    private static String env(String name, String otherwise) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? otherwise : v.trim();
    }
}
