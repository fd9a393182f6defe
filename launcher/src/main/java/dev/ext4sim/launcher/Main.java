package dev.ext4sim.launcher;

import java.nio.file.Path;
import java.util.List;

/** ./ext4sim: runs the whole stack on one machine. The shell script finds a JDK 25 and builds what is missing. */
public final class Main {
    private static final String USAGE = """
            usage: ./ext4sim COMMAND
              up                 build what is missing, start Kafka and the six services, wait until healthy;
                                 then Prometheus, where a prometheus program is installed, and the watchdog,
                                 which starts again a process that dies (EXT4SIM_WATCHDOG=off: none)
              down               stop everything
              status             each process, its pid, port and health
              kill SERVICE       SIGKILL one process (chaos testing; the watchdog starts it again): %s
              start SERVICE      start one process again and wait until it is healthy
              crash SERVICE [POINT --nth N | POINT --probability P | --disarm [POINT]]
                                 list a service's crash points, arm one (the process then dies there as under
                                 SIGKILL), or disarm
              chaos [--clients N] [--sweep [--each N] | --crashes N] [--seed S] [--json FILE]
                                 a workload with a ledger of what fsync acknowledged, crashes at the crash points,
                                 every file checked after each recovery; then a clean stop, e2fsck and debugfs
              chaos --power-cut-sweep [--ops N] [--seed S] [--json FILE]
                                 a seeded workload with the device's writes logged (dm-log-writes), then the disk
                                 rebuilt and checked as a power cut leaves it at each flush and FUA write
              trace diff REAL.txt [--fields] [--writers COMM,...] [--json]
                                 a real kernel's ftrace text held against the stack's trace, task by task
              mkfs [IMAGE] [--size 1G] [--uuid UUID] [--label NAME] [--no-64bit] [--force]
                                 create a fresh ext4 image (default: the stack's disk, EXT4SIM_HOME/sda.img)
              images [--force]   build the container images docker-compose.yml runs (needs a Docker engine)
              test               run the test suite (./mvnw verify)
              help               this text
            environment: EXT4SIM_HOME (data folder, default ./.ext4sim), EXT4SIM_HTTP_PORT (gateway, default 8080;
            the services take the next five), EXT4SIM_KAFKA_PORT (default 9092), EXT4SIM_PROMETHEUS_PORT (default
            9090), EXT4SIM_PROMETHEUS=off (no Prometheus), EXT4SIM_JAVA_OPTS""";

    private Main() {
    }

    public static void main(String[] args) throws Exception {
        System.exit(run(args));
    }

    /** ./ext4sim chaos against the stack of {@code settings}. */
    public static int chaos(Settings settings, List<String> args, java.io.PrintStream out) throws Exception {
        return new ChaosCommand(settings, out).run(args);
    }

    static int run(String[] args) throws Exception {
        Path root = Path.of(System.getProperty("ext4sim.root", ".")).toAbsolutePath().normalize();
        Settings settings = Settings.fromEnvironment(root);
        if (args.length == 0) {
            System.out.println(USAGE.formatted(String.join(", ", Component.names())));
            return 2;
        }
        String command = args[0];
        if (command.equals("help") || command.equals("-h") || command.equals("--help")) {
            System.out.println(USAGE.formatted(String.join(", ", Component.names())));
            return 0;
        }
        Settings recorded = settings.withRecordedPorts();
        boolean running = Component.supervised().stream().anyMatch(c -> new Supervisor(recorded).running(c).isPresent());
        if (!command.equals("up") || running) {
            settings = recorded; // talk to the stack that runs, on the ports it was started with
        }
        Stack stack = new Stack(settings, System.out);
        return switch (command) {
            case "up" -> {
                int ready = stack.up();
                // a process that dies is started again, unless the user wants it to stay dead
                yield ready != 0 || "off".equalsIgnoreCase(System.getenv("EXT4SIM_WATCHDOG")) ? ready : stack.startWatchdog();
            }
            case "down" -> stack.down();
            case "status" -> stack.status();
            case "mkfs" -> new MkfsCommand(System.out).run(List.of(args).subList(1, args.length), settings.image(), running);
            case "crash" -> new CrashCommand(settings, System.out).run(List.of(args).subList(1, args.length));
            case "chaos" -> chaos(settings, List.of(args).subList(1, args.length), System.out);
            case "trace" -> new TraceCommand(settings, System.out).run(List.of(args).subList(1, args.length));
            case "kill", "start" -> {
                if (args.length != 2) {
                    System.out.println("ext4sim: " + command + " takes one name: " + String.join(", ", Component.names()));
                    yield 2;
                }
                yield command.equals("kill") ? stack.kill(args[1]) : stack.start(args[1]);
            }
            default -> {
                System.out.println("ext4sim: unknown command '" + command + "'\n" + USAGE.formatted(String.join(", ", Component.names())));
                yield 2;
            }
        };
    }
}
