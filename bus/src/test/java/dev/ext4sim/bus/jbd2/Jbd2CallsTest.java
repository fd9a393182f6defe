package dev.ext4sim.bus.jbd2;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ext4sim.bus.ext4.OrderedDataCall;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The jbd2 call records survive their codecs; block contents travel raw, and the inode range fields are carried. */
class Jbd2CallsTest {
    @Test
    void aBufferOpCarriesItsBlockRawAndAnInodeRangeAsFields() {
        byte[] block = new byte[4096];
        block[0] = (byte) 0xC0;
        block[4095] = 7;
        Jbd2Calls.BufferOp dirty = new Jbd2Calls.BufferOp(17, 3, Jbd2Calls.DIRTY_METADATA, 1234, block);
        byte[] wire = Jbd2Calls.BUFFER.requestCodec().encode(dirty);
        assertThat(wire.length).isLessThan(4096 + 200);
        assertThat(new String(wire, StandardCharsets.ISO_8859_1)).contains("\"op\":\"dirty_metadata\"").doesNotContain("\"data\"");
        assertThat(Jbd2Calls.BUFFER.requestCodec().decode(wire)).isEqualTo(dirty);

        Jbd2Calls.BufferOp range = Jbd2Calls.BufferOp.inodeRangedWrite(17, 3, 12, 4096, 8192);
        Jbd2Calls.BufferOp back = Jbd2Calls.BUFFER.requestCodec().decode(Jbd2Calls.BUFFER.requestCodec().encode(range));
        assertThat(back).isEqualTo(range);
        assertThat(back.op()).isEqualTo("inode_ranged_write");
        assertThat(back.ino()).isEqualTo(12);
        assertThat(back.length()).isEqualTo(8192);
        assertThat(Jbd2Calls.BUFFER.version()).isEqualTo(2);
    }

    @Test
    void aWholeHandleCarriesItsOpsInOrderAndTheBlocksConcatenated() {
        byte[] data = new byte[8192];
        data[4096] = 9;
        Jbd2Calls.RunHandle run = new Jbd2Calls.RunHandle(5, 2, 1, 100, true,
                List.of(new Jbd2Calls.Op(Jbd2Calls.GET_WRITE_ACCESS, 10), new Jbd2Calls.Op(Jbd2Calls.DIRTY_METADATA, 10),
                        new Jbd2Calls.Op(Jbd2Calls.REVOKE, 11), Jbd2Calls.Op.inodeRangedWrite(12, 0, 12),
                        new Jbd2Calls.Op(Jbd2Calls.DIRTY_METADATA, 13)), data);
        assertThat(Jbd2Calls.RUN.requestCodec().decode(Jbd2Calls.RUN.requestCodec().encode(run))).isEqualTo(run);
        assertThat(Jbd2Calls.RUN.version()).isEqualTo(2);
    }

    @Test
    void theSmallCallsAndTheLoadEventAreJson() {
        Jbd2Calls.Loaded loaded = new Jbd2Calls.Loaded(1_763_700_000_123L, "sda1", 7, 1024, 3, 12);
        assertThat(Jbd2Calls.LOADED.codec().decode(Jbd2Calls.LOADED.codec().encode(loaded))).isEqualTo(loaded);
        assertThat(Jbd2Calls.LOAD.replyCodec().decode(Jbd2Calls.LOAD.replyCodec().encode(loaded))).isEqualTo(loaded);
        Jbd2Calls.Wait w = new Jbd2Calls.Wait(5, Jbd2Calls.COMPLETE_TRANSACTION, 9);
        assertThat(Jbd2Calls.WAIT.requestCodec().decode(Jbd2Calls.WAIT.requestCodec().encode(w))).isEqualTo(w);
        Jbd2Calls.InfoText info = new Jbd2Calls.InfoText("/proc/fs/jbd2/sda1-8/info", "0 transactions (0 requested), each up to 1024 blocks\n");
        assertThat(Jbd2Calls.INFO.replyCodec().decode(Jbd2Calls.INFO.replyCodec().encode(info))).isEqualTo(info);
    }

    @Test
    void theOrderedDataCallNamesEveryInodeRange() {
        OrderedDataCall.Request r = new OrderedDataCall.Request("sda1", 7,
                List.of(new OrderedDataCall.InodeRange(12, 0, 4095), new OrderedDataCall.InodeRange(13, 8192, 12287)));
        byte[] wire = OrderedDataCall.CALL.requestCodec().encode(r);
        assertThat(new String(wire, StandardCharsets.UTF_8)).contains("\"tid\":7", "\"ino\":13");
        assertThat(OrderedDataCall.CALL.requestCodec().decode(wire)).isEqualTo(r);
        assertThat(OrderedDataCall.CALL.name()).isEqualTo("ext4_journal_submit_inode_data");
    }
}
