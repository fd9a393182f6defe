package dev.ext4sim.blockdev.block;

import dev.ext4sim.blockdev.Trace;
import dev.ext4sim.bus.trace.Task;
import dev.ext4sim.bus.trace.TraceContext;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The per-cpu kernel threads a 6.x block layer runs requests in: kblockd's high-priority worker {@code kworker/N:1H},
 * which runs the requeue work that dispatches the flush machinery's requests, and {@code ksoftirqd/N}, which runs
 * the BLOCK_SOFTIRQ completions. Each thread is named for its cpu and must print in that CPU column, so its pid is
 * the first from a fixed base that the tracer puts on that cpu.
 */
final class PerCpuThreads {
    /** ksoftirqd/0 is pid 14 and ksoftirqd/1 pid 24 on a 6.18 boot; kblockd's workers come a little later. */
    static final int KSOFTIRQD_PID = 14;
    static final int KBLOCKD_PID = 160;
    static final int PIDS_PER_CPU = 10;

    private final Trace trace;
    private final Map<Integer, Task> kblockd = new ConcurrentHashMap<>();
    private final Map<Integer, Task> ksoftirqd = new ConcurrentHashMap<>();

    PerCpuThreads(Trace trace) {
        this.trace = trace;
    }

    /** The cpu a context's task runs on. */
    int cpuOf(TraceContext ctx) {
        return trace.cpuOf(ctx.task());
    }

    /** kblockd_mod_delayed_work_on(WORK_CPU_UNBOUND): the worker of the cpu that kicked the work. */
    TraceContext kblockd(TraceContext kicker) {
        int cpu = cpuOf(kicker);
        return Trace.as(kicker, kblockd.computeIfAbsent(cpu,
                c -> pinned("kworker/" + c + ":1H", KBLOCKD_PID + PIDS_PER_CPU * c, c)));
    }

    /** The softirq the completion of a request issued from {@code issuer} raises: on the issuer's cpu. */
    TraceContext ksoftirqd(TraceContext issuer) {
        int cpu = cpuOf(issuer);
        return Trace.as(issuer, ksoftirqd.computeIfAbsent(cpu,
                c -> pinned("ksoftirqd/" + c, KSOFTIRQD_PID + PIDS_PER_CPU * c, c)));
    }

    private Task pinned(String comm, int pid, int cpu) {
        Task t = new Task(comm, pid);
        while (trace.cpuOf(t) != cpu) { // cpuOf steps through every cpu as the pid grows
            t = new Task(comm, t.pid() + 1);
        }
        return t;
    }
}
