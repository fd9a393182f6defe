package dev.ext4sim.blockdev.ufs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ext4sim.bus.testing.ManualClock;
import dev.ext4sim.ondisk.BlockDevice;
import dev.ext4sim.ondisk.MemoryBlockDevice;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The volatile cache on a manual clock: newest data wins, and only flush, FUA and destage reach the image. */
class WriteCacheTest {
    final ManualClock clock = new ManualClock();
    final List<Long> imageWrites = new ArrayList<>();
    // 3000 blocks: three chunks of the cache's index, the last one partial
    final MemoryBlockDevice memory = new MemoryBlockDevice(4096, 3000);
    final BlockDevice image = new BlockDevice() {
        @Override
        public int blockSize() {
            return memory.blockSize();
        }

        @Override
        public long blocks() {
            return memory.blocks();
        }

        @Override
        public void read(long block, byte[] dst) {
            memory.read(block, dst);
        }

        @Override
        public void write(long block, byte[] src) {
            imageWrites.add(block);
            memory.write(block, src);
        }

        @Override
        public void flush() {
            memory.flush();
        }
    };
    final WriteCache cache = new WriteCache(image, clock);

    static byte[] filled(int value) {
        byte[] b = new byte[4096];
        Arrays.fill(b, (byte) value);
        return b;
    }

    byte[] read(long block) {
        byte[] b = new byte[4096];
        cache.read(block, b, 0);
        return b;
    }

    @Test
    void readsSeeTheNewestCopyAndTheImageSeesNothingUntilAFlushWhichGoesInBlockOrder() {
        cache.write(2999, filled(1), 0);
        cache.write(5, filled(2), 0);
        cache.write(1500, filled(3), 0);
        cache.write(5, filled(4), 0); // rewritten while dirty: still one dirty block
        assertThat(cache.dirtyBlocks()).isEqualTo(3);
        assertThat(cache.dirtyBytes()).isEqualTo(3 * 4096);
        assertThat(read(5)).isEqualTo(filled(4));
        assertThat(read(6)).isEqualTo(filled(0));
        assertThat(imageWrites).isEmpty();

        assertThat(cache.flush()).isEqualTo(3);
        assertThat(imageWrites).containsExactly(5L, 1500L, 2999L);
        assertThat(memory.read(5)).isEqualTo(filled(4));
        assertThat(cache.dirtyBlocks()).isZero();
        assertThat(cache.isDirty(5)).isFalse();
        assertThat(read(2999)).isEqualTo(filled(1));
    }

    @Test
    void aBlockOfABiggerBufferIsCopiedOutOfItsOffset() {
        byte[] two = new byte[8192];
        Arrays.fill(two, 4096, 8192, (byte) 9);
        cache.write(7, two, 4096);
        assertThat(cache.writeBack(7)).isTrue();
        assertThat(cache.writeBack(7)).as("already clean").isFalse();
        assertThat(memory.read(7)).isEqualTo(filled(9));
    }

    @Test
    void theDestageTakesOnlyBlocksOldEnoughAndAtMostItsBudget() {
        cache.write(1, filled(1), 0);
        cache.write(2, filled(2), 0);
        cache.write(3, filled(3), 0);
        clock.advance(Duration.ofSeconds(5));
        cache.write(4, filled(4), 0);
        assertThat(cache.destage(Duration.ofSeconds(5).toNanos(), 2)).isEqualTo(2);
        assertThat(imageWrites).containsExactly(1L, 2L);
        assertThat(cache.destage(Duration.ofSeconds(5).toNanos(), 10)).isEqualTo(1);
        assertThat(cache.isDirty(4)).as("too young").isTrue();
        assertThat(cache.destagedBlocks()).isEqualTo(3);
        assertThat(cache.dirtyBlocks()).isEqualTo(1);
    }

    @Test
    void aPowerCutLosesExactlyTheDirtyBlocks() {
        cache.write(10, filled(1), 0);
        cache.writeBack(10);
        cache.write(10, filled(2), 0); // the newer copy is lost, the flushed one survives
        cache.write(2048, filled(3), 0);
        assertThat(cache.drop()).isEqualTo(2);
        assertThat(cache.dirtyBlocks()).isZero();
        assertThat(read(10)).isEqualTo(filled(1));
        assertThat(read(2048)).isEqualTo(filled(0));
        cache.write(2048, filled(5), 0);
        assertThat(cache.dirtyBlocks()).isEqualTo(1);
    }
}
