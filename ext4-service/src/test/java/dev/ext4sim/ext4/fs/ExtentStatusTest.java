package dev.ext4sim.ext4.fs;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ExtentStatusTest {
    @Test
    void insertSplitsWhatItCoversAndMergesNeighbours() {
        ExtentStatus es = new ExtentStatus();
        es.insert(0, MapBlocks.EXT_MAX_BLOCKS, -1, Flags.ES_HOLE);
        es.insert(0, 1, -1, Flags.ES_DELAYED);
        es.insert(1, 1, -1, Flags.ES_DELAYED);
        assertThat(es.lookup(0)).isEqualTo(new ExtentStatus.Es(0, 2, -1, Flags.ES_DELAYED));
        assertThat(es.lookup(2)).isEqualTo(new ExtentStatus.Es(2, MapBlocks.EXT_MAX_BLOCKS - 2, -1, Flags.ES_HOLE));
        es.insert(0, 1, 500, Flags.ES_WRITTEN);
        es.insert(1, 1, 501, Flags.ES_WRITTEN);
        assertThat(es.lookup(1)).isEqualTo(new ExtentStatus.Es(0, 2, 500, Flags.ES_WRITTEN));
        es.insert(2, 1, 900, Flags.ES_WRITTEN); // not physically contiguous: no merge
        assertThat(es.lookup(2)).isEqualTo(new ExtentStatus.Es(2, 1, 900, Flags.ES_WRITTEN));
        assertThat(es.lookup(0).len()).isEqualTo(2);
        assertThat(es.findDelayed(0, 100)).isNull();
    }

    @Test
    void removeCutsStraddlingExtentsAndKeepsPhysicalOffsets() {
        ExtentStatus es = new ExtentStatus();
        es.insert(10, 10, 1000, Flags.ES_WRITTEN);
        es.insert(30, 5, -1, Flags.ES_DELAYED);
        es.remove(15, 17);
        assertThat(es.lookup(14)).isEqualTo(new ExtentStatus.Es(10, 5, 1000, Flags.ES_WRITTEN));
        assertThat(es.lookup(15)).isNull();
        assertThat(es.lookup(31)).isNull();
        assertThat(es.lookup(32)).isEqualTo(new ExtentStatus.Es(32, 3, -1, Flags.ES_DELAYED));
        assertThat(es.findDelayed(0, 31)).isNull();
        assertThat(es.findDelayed(0, 32)).isEqualTo(es.lookup(33));
        es.insert(12, 1, 5000, Flags.ES_WRITTEN);
        assertThat(es.lookup(13)).isEqualTo(new ExtentStatus.Es(13, 2, 1003, Flags.ES_WRITTEN));
        assertThat(es.lookup(11)).isEqualTo(new ExtentStatus.Es(10, 2, 1000, Flags.ES_WRITTEN));
    }

    @Test
    void cacheFillsOnlyWhatNoExtentCovers() {
        ExtentStatus es = new ExtentStatus();
        es.insert(0, 4, -1, Flags.ES_DELAYED);
        assertThat(es.cache(2, 4, 700, Flags.ES_WRITTEN)).isFalse();
        assertThat(es.lookup(5)).isNull();
        assertThat(es.cache(4, 2, 704, Flags.ES_WRITTEN)).isTrue();
        assertThat(es.lookup(5)).isEqualTo(new ExtentStatus.Es(4, 2, 704, Flags.ES_WRITTEN));
        assertThat(es.lookup(0)).isEqualTo(new ExtentStatus.Es(0, 4, -1, Flags.ES_DELAYED));
    }

    @Test
    void theReferencedBitStaysWithTheExtentItWasSetOn() {
        ExtentStatus es = new ExtentStatus();
        es.insert(0, 10, 100, Flags.ES_WRITTEN);
        assertThat(es.referenced(es.lookup(3))).isFalse();
        es.setReferenced(es.lookup(3));
        // a piece cut out of the middle: both ends keep the bit; what replaces the middle has none
        es.insert(4, 2, -1, Flags.ES_DELAYED);
        assertThat(es.referenced(es.lookup(0))).isTrue();
        assertThat(es.referenced(es.lookup(8))).isTrue();
        assertThat(es.referenced(es.lookup(4))).isFalse();
        // merged into its left neighbour, an extent takes the neighbour's bit
        es.insert(10, 2, 110, Flags.ES_WRITTEN);
        assertThat(es.lookup(11).lblk()).isEqualTo(6);
        assertThat(es.referenced(es.lookup(11))).isTrue();
        es.insert(6, 6, 500, Flags.ES_WRITTEN);
        assertThat(es.referenced(es.lookup(7))).isFalse();
        es.clear();
        es.insert(0, 1, 100, Flags.ES_WRITTEN);
        assertThat(es.referenced(es.lookup(0))).isFalse();
    }
}
