package dev.ext4sim.blockdev.block;

/** enum req_opf: the operation of a bio or request. */
public enum ReqOp {
    READ, WRITE, FLUSH
}
