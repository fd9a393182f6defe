package dev.ext4sim.ext4.fs;

/**
 * A line ext4 printed to the kernel log (ext4_msg, or ext4_error with the function that found the fault), for the
 * service to log: the core knows no device name and has no logger.
 *
 * @param error    KERN_ERR from ext4_error; otherwise KERN_INFO from ext4_msg
 * @param function where ext4_error was called; null for ext4_msg
 * @param text     the message as the kernel formats it
 */
public record KernelMessage(boolean error, String function, String text) {
    static KernelMessage info(String text) {
        return new KernelMessage(false, null, text);
    }

    static KernelMessage error(String function, String text) {
        return new KernelMessage(true, function, text);
    }

    /**
     * The line as dmesg shows it for device {@code dev} (e.g. sda1): ext4_msg's "EXT4-fs (dev): ", ext4_error's
     * "EXT4-fs error (device dev): function: comm task: " (without __LINE__, which the simulation has none of).
     */
    public String line(String dev, String comm) {
        return error ? "EXT4-fs error (device " + dev + "): " + function + ": comm " + comm + ": " + text
                : "EXT4-fs (" + dev + "): " + text;
    }
}
