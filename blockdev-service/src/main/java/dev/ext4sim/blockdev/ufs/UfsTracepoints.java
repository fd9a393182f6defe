package dev.ext4sim.blockdev.ufs;

import dev.ext4sim.bus.trace.Tracepoint;
import java.util.HexFormat;

/** TRACE_SYSTEM ufs (drivers/ufs/core/ufs_trace.h) and the scsi and writeback events of the probe. */
public final class UfsTracepoints {
    private UfsTracepoints() {
    }

    static String opcodeName(int opcode) {
        return switch (opcode) {
            case 0x8a -> "WRITE_16";
            case 0x2a -> "WRITE_10";
            case 0x88 -> "READ_16";
            case 0x28 -> "READ_10";
            case 0x35 -> "SYNC";
            case 0x42 -> "UNMAP";
            default -> "0x" + Integer.toHexString(opcode);
        };
    }

    /** __print_hex: bytes as two lower-case hex digits separated by spaces. */
    public static String hex(byte[] b) {
        return HexFormat.ofDelimiter(" ").formatHex(b);
    }

    public static final Tracepoint UFSHCD_COMMAND = Tracepoint.define("ufs", "ufshcd_command",
                    "%s: %s: tag: %u, DB: 0x%x, size: %d, IS: %u, LBA: %llu, opcode: 0x%x (%s), group_id: 0x%x",
                    "dev_name", "str", "tag", "doorbell", "transfer_len", "intr", "lba", "opcode", "group_id")
            .printk(v -> new Object[]{v[1], v[0], v[2], v[3], v[4], v[5], v[6], v[7], opcodeName((Integer) v[7]), v[8]});

    public static final Tracepoint UFSHCD_UIC_COMMAND = Tracepoint.define("ufs", "ufshcd_uic_command",
                    "%s: %s: cmd: 0x%x, arg1: 0x%x, arg2: 0x%x, arg3: 0x%x", "dev_name", "str", "cmd", "arg1", "arg2", "arg3")
            .printk(v -> new Object[]{v[1], v[0], v[2], v[3], v[4], v[5]});

    public static final Tracepoint UFSHCD_UPIU = Tracepoint.define("ufs", "ufshcd_upiu",
                    "%s: %s: HDR:%s, %s:%s", "dev_name", "str", "hdr", "tsf", "tsf_t")
            .printk(v -> new Object[]{v[1], v[0], v[2], v[4], v[3]});

    public static final Tracepoint UFSHCD_CLK_GATING = Tracepoint.define("ufs", "ufshcd_clk_gating",
            "%s: gating state changed to %s", "dev_name", "state");

    public static final Tracepoint UFSHCD_INIT = Tracepoint.define("ufs", "ufshcd_init",
                    "%s: took %lld usecs, dev_state: %s, link_state: %s, err %d",
                    "dev_name", "err", "usecs", "dev_state", "link_state")
            .printk(v -> new Object[]{v[0], v[2], v[3], v[4], v[1]});

    /** include/trace/events/scsi.h, 4.x text. */
    public static final Tracepoint SCSI_DISPATCH_CMD_START = Tracepoint.define("scsi", "scsi_dispatch_cmd_start",
            "host_no=%u channel=%u id=%u lun=%u data_sgl=%u prot_sgl=%u prot_op=%s cmnd=(%s %s raw=%s)",
            "host_no", "channel", "id", "lun", "data_sglen", "prot_sglen", "prot_op", "opcode", "cdb", "cmnd");

    public static final Tracepoint SCSI_DISPATCH_CMD_DONE = Tracepoint.define("scsi", "scsi_dispatch_cmd_done",
            "host_no=%u channel=%u id=%u lun=%u data_sgl=%u prot_sgl=%u prot_op=%s cmnd=(%s %s raw=%s) result=(driver=%s host=%s message=%s status=%s)",
            "host_no", "channel", "id", "lun", "data_sglen", "prot_sglen", "prot_op", "opcode", "cdb", "cmnd",
            "driver", "host", "message", "status");

    /** bdi_register(): include/trace/events/writeback.h. */
    public static final Tracepoint WRITEBACK_BDI_REGISTER = Tracepoint.define("writeback", "writeback_bdi_register",
            "bdi %s", "name");
}
