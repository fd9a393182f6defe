package dev.ext4sim.bus.block;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Block records carry their data as raw bytes after a JSON header, and bad frames are refused, not guessed at. */
class BlockIoTest {
    @Test
    void aSubmissionTravelsAsAJsonHeaderAndTheRawBytes() {
        byte[] data = new byte[8192];
        data[0] = 1;
        data[8191] = (byte) 0xff;
        BlockIo.Submit s = new BlockIo.Submit("sda1", List.of(BlockIo.Bio.write(8, 8192, "SYNC", "FUA"), BlockIo.Bio.flush()), data,
                0x7edcba9876543210L);
        byte[] wire = BlockIo.SUBMIT.requestCodec().encode(s);
        String text = new String(wire, StandardCharsets.ISO_8859_1);
        assertThat(text).contains("\"dev\":\"sda1\"", "\"flags\":[\"SYNC\",\"FUA\"]").doesNotContain("\"data\"");
        assertThat(wire.length).isLessThan(8192 + 200);
        assertThat(BlockIo.SUBMIT.requestCodec().decode(wire)).isEqualTo(s);

        BlockIo.Completion c = new BlockIo.Completion(List.of(443L, 1200L), new byte[]{5, 6, 7}, -5L);
        assertThat(BlockIo.SUBMIT.replyCodec().decode(BlockIo.SUBMIT.replyCodec().encode(c))).isEqualTo(c);
    }

    @Test
    void aTruncatedOrLyingFrameIsRefused() {
        assertThatThrownBy(() -> BlockIo.SUBMIT.requestCodec().decode(new byte[]{0, 0})).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("4-byte header length");
        assertThatThrownBy(() -> BlockIo.SUBMIT.requestCodec().decode(new byte[]{0, 0, 1, 0, '{'}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("does not fit");
    }

    @Test
    void theAnnouncementAndTheAdminCallAreJson() {
        BlockIo.DeviceAdded d = new BlockIo.DeviceAdded("sda", 8, 0, 2_097_152, 4096, "8:0", true, true, 31,
                List.of(new BlockIo.Partition("sda1", 8, 1, 0, 2_097_152)), "ufs3.1", 15_000);
        assertThat(BlockIo.DEVICE_ADDED.codec().decode(BlockIo.DEVICE_ADDED.codec().encode(d))).isEqualTo(d);
        BlockIo.Admin a = new BlockIo.Admin("add_fault", BlockIo.Fault.eio("WRITE", 0L, 8L));
        assertThat(BlockIo.ADMIN.requestCodec().decode(BlockIo.ADMIN.requestCodec().encode(a))).isEqualTo(a);
    }
}
