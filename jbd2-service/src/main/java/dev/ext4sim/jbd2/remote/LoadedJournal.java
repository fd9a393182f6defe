package dev.ext4sim.jbd2.remote;

import dev.ext4sim.bus.jbd2.Jbd2Calls;
import dev.ext4sim.jbd2.io.BusBlockDevice;
import dev.ext4sim.jbd2.journal.Journal;
import dev.ext4sim.jbd2.journal.Kjournald2;

/** One load of the journal: its epoch, the journal, its commit thread, the device and the open remote handles. */
public record LoadedJournal(Jbd2Calls.Loaded loaded, Journal journal, Kjournald2 kjournald2, BusBlockDevice device,
                            RemoteHandles handles) {
    public long epoch() {
        return loaded.epoch();
    }

    /** Stops the commit thread after the commit in progress; what is not committed stays for the next load. */
    void unload() {
        handles.dropAll();
        kjournald2.stop();
    }
}
