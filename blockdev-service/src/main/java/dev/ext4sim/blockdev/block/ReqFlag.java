package dev.ext4sim.blockdev.block;

/** enum req_flag_bits that matter on the ext4 write path. */
public enum ReqFlag {
    SYNC, META, PREFLUSH, FUA
}
