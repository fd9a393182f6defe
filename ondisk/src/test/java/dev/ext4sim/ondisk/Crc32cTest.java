package dev.ext4sim.ondisk;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

class Crc32cTest {
    @Test
    void seededWithAllOnesIsTheInverseOfJavasCrc32c() {
        Random random = new Random(7);
        for (int len : new int[] {0, 1, 7, 8, 9, 16, 1023, 4096}) {
            byte[] b = new byte[len];
            random.nextBytes(b);
            CRC32C java = new CRC32C();
            java.update(b);
            assertThat(Crc32c.update(Crc32c.SEED, b) & 0xFFFFFFFFL).as("length %d", len).isEqualTo(~java.getValue() & 0xFFFFFFFFL);
        }
    }

    @Test
    void chainsAcrossPartsAndFields() {
        byte[] uuid = new byte[16];
        new Random(3).nextBytes(uuid);
        byte[] whole = new byte[16 + 4 + 4 + 8];
        System.arraycopy(uuid, 0, whole, 0, 16);
        Le.u32(whole, 16, 12);
        Be.u32(whole, 20, 0xC03B3998L);
        int chained = Crc32c.update(Crc32c.SEED, uuid);
        chained = Crc32c.updateLe32(chained, 12);
        chained = Crc32c.updateBe32(chained, 0xC03B3998);
        chained = Crc32c.updateZeros(chained, 8);
        assertThat(chained).isEqualTo(Crc32c.update(Crc32c.SEED, whole));
    }

    @Test
    void knownVector() {
        // RFC 3720 B.4: 32 bytes of zeros give 0x8A9136AA after the final inversion.
        assertThat(~Crc32c.update(Crc32c.SEED, new byte[32])).isEqualTo(0x8A9136AA);
    }
}
