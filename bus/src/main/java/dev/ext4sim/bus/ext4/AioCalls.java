package dev.ext4sim.bus.ext4;

import dev.ext4sim.bus.call.CallType;
import dev.ext4sim.bus.call.Codecs;
import dev.ext4sim.bus.call.EventType;
import java.util.Arrays;
import java.util.Objects;

/**
 * fs/aio.c's side of ext4 (vfs-service to ext4-service): aio_write, ext4_file_write_iter with a kiocb that is not
 * synchronous, and the aio_complete event ext4-service publishes when a write it queued completes (ki_complete, from
 * the dio/sda1 kworker). The submitter is the call's trace context task; its pid names the io context.
 */
public final class AioCalls {
    /** -EIOCBQUEUED: the write's result comes later, as an {@link #AIO_COMPLETE} event. */
    public static final long EIOCBQUEUED = -529;

    /** aio_write: the bytes travel raw after a small header. */
    public static final CallType<AioWrite, Submitted> AIO_WRITE = new CallType<>("aio_write", 1,
            Codecs.framed(AioWriteHeader.class, AioWrite::header,
                    (h, d) -> new AioWrite(h.dev(), h.ino(), h.mount(), h.pos(), h.append(), h.sync(), h.dsync(),
                            h.direct(), h.id(), d),
                    AioWrite::data),
            Codecs.json(Submitted.class));

    /** aio_complete of a queued iocb, keyed by the submitter's pid. */
    public static final EventType<Completed> AIO_COMPLETE = EventType.json("aio_complete", 1, Completed.class);

    private AioCalls() {
    }

    /** @param id the iocb's id in the submitter's io context */
    public record AioWrite(String dev, long ino, long mount, long pos, boolean append, boolean sync, boolean dsync,
                           boolean direct, long id, byte[] data) {
        public AioWrite {
            data = data == null ? new byte[0] : data;
        }

        AioWriteHeader header() {
            return new AioWriteHeader(dev, ino, mount, pos, append, sync, dsync, direct, id);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof AioWrite w && Objects.equals(dev, w.dev) && ino == w.ino && mount == w.mount
                    && pos == w.pos && append == w.append && sync == w.sync && dsync == w.dsync && direct == w.direct
                    && id == w.id && Arrays.equals(data, w.data);
        }

        @Override
        public int hashCode() {
            return Objects.hash(dev, ino, mount, pos, append, sync, dsync, direct, id, Arrays.hashCode(data));
        }

        @Override
        public String toString() {
            return "AioWrite[dev=" + dev + ", ino=" + ino + ", pos=" + pos + ", id=" + id + ", direct=" + direct
                    + ", data=" + data.length + " bytes]";
        }
    }

    record AioWriteHeader(String dev, long ino, long mount, long pos, boolean append, boolean sync, boolean dsync,
                          boolean direct, long id) {
    }

    /** @param ret the bytes written (the iocb is complete), or {@link #EIOCBQUEUED}; {@code pos} past the write */
    public record Submitted(long ret, long pos) {
    }

    /** @param res the bytes written, or a negative errno */
    public record Completed(int pid, long id, long res) {
    }
}
