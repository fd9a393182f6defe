package dev.ext4sim.gateway;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.trace.Task;
import jakarta.servlet.http.HttpServletRequest;

/**
 * The task a REST call runs as: the caller names its process with X-Comm and X-Pid, as a program's comm and pid
 * appear in a kernel trace. Without them the comm is the User-Agent's product (curl, python-requests, ...).
 */
final class CallerTask {
    static final String COMM = "X-Comm";
    static final String PID = "X-Pid";
    static final int PID_MAX = 4_194_304; // PID_MAX_LIMIT on 64-bit

    private CallerTask() {
    }

    static Task of(HttpServletRequest request) {
        String comm = request.getHeader(COMM);
        if (comm == null || comm.isBlank()) {
            comm = productOf(request.getHeader("User-Agent"));
        }
        if (comm.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw new ErrnoException(Errno.EINVAL, "X-Comm must be printable text, like a program name");
        }
        String pidText = request.getHeader(PID);
        int pid;
        if (pidText == null || pidText.isBlank()) {
            pid = 1000 + Math.floorMod(comm.hashCode(), 30_000);
        } else {
            try {
                pid = Integer.parseInt(pidText.trim());
            } catch (NumberFormatException e) {
                throw new ErrnoException(Errno.EINVAL, "X-Pid must be a number from 1 to " + PID_MAX + ", not '" + pidText + "'");
            }
            if (pid < 1 || pid > PID_MAX) {
                throw new ErrnoException(Errno.EINVAL, "X-Pid must be from 1 to " + PID_MAX + ", not " + pid);
            }
        }
        return new Task(comm, pid);
    }

    private static String productOf(String userAgent) {
        if (userAgent == null || userAgent.isBlank()) {
            return "rest";
        }
        String product = userAgent.trim().split("[/ ]", 2)[0];
        return product.isEmpty() ? "rest" : product;
    }
}
