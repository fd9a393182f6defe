package dev.ext4sim.bus.vfs;

import dev.ext4sim.bus.call.CallType;
import dev.ext4sim.bus.call.Codecs;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The asynchronous I/O system calls the gateway sends to vfs-service (fs/aio.c): io_submit of one pwrite iocb, and
 * io_getevents. Each process (the call's task pid) has one io context, made by its first io_submit.
 */
public final class VfsAioCalls {
    /** io_submit of one IOCB_CMD_PWRITE: the bytes travel raw after a small header. */
    public static final CallType<IoSubmit, Submitted> IO_SUBMIT = new CallType<>("io_submit", 1,
            Codecs.framed(IoSubmitHeader.class, IoSubmit::header, (h, d) -> new IoSubmit(h.fd(), h.offset(), d),
                    IoSubmit::data),
            Codecs.json(Submitted.class));

    /** io_getevents. */
    public static final CallType<GetEvents, Events> IO_GETEVENTS = CallType.json("io_getevents", 1, GetEvents.class,
            Events.class);

    private VfsAioCalls() {
    }

    public record IoSubmit(int fd, long offset, byte[] data) {
        public IoSubmit {
            data = data == null ? new byte[0] : data;
        }

        IoSubmitHeader header() {
            return new IoSubmitHeader(fd, offset);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof IoSubmit s && fd == s.fd && offset == s.offset && Arrays.equals(data, s.data);
        }

        @Override
        public int hashCode() {
            return Objects.hash(fd, offset, Arrays.hashCode(data));
        }

        @Override
        public String toString() {
            return "IoSubmit[fd=" + fd + ", offset=" + offset + ", data=" + data.length + " bytes]";
        }
    }

    record IoSubmitHeader(int fd, long offset) {
    }

    /** @param id the iocb's id in the process's io context, which its io_event carries */
    public record Submitted(long id) {
    }

    /** @param timeoutMs how long to wait for {@code minNr} events; 0 only takes what is there */
    public record GetEvents(int minNr, int nr, long timeoutMs) {
    }

    /** @param res the bytes written, or a negative errno */
    public record Event(long id, int fd, long res) {
    }

    public record Events(List<Event> events) {
        public Events {
            events = events == null ? List.of() : List.copyOf(events);
        }
    }
}
