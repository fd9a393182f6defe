package dev.ext4sim.vfs.fs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ext4sim.bus.ext4.Ext4Calls;
import dev.ext4sim.bus.trace.Task;
import dev.ext4sim.bus.trace.TraceContext;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** O_DIRECT is an open flag of the struct file, and every write through that file carries IOCB_DIRECT to ext4. */
class DirectFlagTest {
    final MemoryInodeOps fs = new MemoryInodeOps();
    /** The IOCB_DIRECT of each writeIter, in call order. */
    final List<Boolean> direct = new ArrayList<>();
    final InodeOps ops = (InodeOps) Proxy.newProxyInstance(InodeOps.class.getClassLoader(), new Class<?>[]{InodeOps.class},
            (proxy, method, args) -> {
                if (method.getName().equals("writeIter") && args.length == 9) {
                    direct.add((Boolean) args[6]);
                    return fs.writeIter((Long) args[0], (Long) args[1], (Long) args[2], (Boolean) args[3], (Boolean) args[4],
                            (Boolean) args[5], (byte[]) args[7], (TraceContext) args[8]);
                }
                try {
                    return method.invoke(fs, args);
                } catch (InvocationTargetException e) {
                    throw e.getCause();
                }
            });
    final Vfs vfs = new Vfs(ops, (dev, ctx) -> { }, new Processes(Instant.parse("2026-11-21T00:00:00Z"), 8));
    final TraceContext demo = TraceContext.of(new Task("demo", 1234));

    @Test
    void oDirectIsParsedByNameWithOrWithoutThePrefix() {
        assertThat(OpenFlags.parse(List.of("O_RDWR", "O_DIRECT")).has(OpenFlags.Flag.O_DIRECT)).isTrue();
        assertThat(OpenFlags.parse(List.of("wronly", "direct")).has(OpenFlags.Flag.O_DIRECT)).isTrue();
        assertThat(OpenFlags.parse(List.of("O_RDWR", "O_SYNC")).has(OpenFlags.Flag.O_DIRECT)).isFalse();
    }

    @Test
    void writesThroughAnODirectFileAreDirectAndOthersAreNot() {
        int d = vfs.open("/d", List.of("O_CREAT", "O_RDWR", "O_DIRECT"), 0644, demo);
        int b = vfs.open("/d", List.of("O_RDWR"), -1, demo);
        vfs.write(d, 0, new byte[4096], demo);      // pwrite
        vfs.write(b, -1, new byte[4096], demo);     // write at f_pos
        vfs.write(d, -1, new byte[4096], demo);     // write at f_pos
        assertThat(direct).containsExactly(true, false, true);
        assertThat(fs.files.get(12L)).hasSize(4096);
    }

    @Test
    void theBusRequestCarriesTheDirectFlag() {
        Ext4Calls.WriteIter q = new Ext4Calls.WriteIter("sda1", 12, 4096, false, false, true, new byte[4096], 7, true);
        Ext4Calls.WriteIter back = Ext4Calls.WRITE_ITER.requestCodec().decode(Ext4Calls.WRITE_ITER.requestCodec().encode(q));
        assertThat(back).isEqualTo(q);
        assertThat(back.direct()).isTrue();
        Ext4Calls.WriteIter buffered = new Ext4Calls.WriteIter("sda1", 12, 0, false, false, false, new byte[1]);
        assertThat(Ext4Calls.WRITE_ITER.requestCodec().decode(Ext4Calls.WRITE_ITER.requestCodec().encode(buffered)).direct())
                .isFalse();
    }
}
