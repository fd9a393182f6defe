package dev.ext4sim.ondisk;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/** Little-endian fields in a byte array: every ext4 structure. Values are unsigned where Java allows. */
public final class Le {
    private static final VarHandle U16 = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle U32 = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle U64 = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private Le() {
    }

    public static int u8(byte[] b, int off) {
        return b[off] & 0xFF;
    }

    public static void u8(byte[] b, int off, int v) {
        b[off] = (byte) v;
    }

    public static int u16(byte[] b, int off) {
        return (short) U16.get(b, off) & 0xFFFF;
    }

    public static void u16(byte[] b, int off, int v) {
        U16.set(b, off, (short) v);
    }

    public static long u32(byte[] b, int off) {
        return (int) U32.get(b, off) & 0xFFFFFFFFL;
    }

    public static int s32(byte[] b, int off) {
        return (int) U32.get(b, off);
    }

    public static void u32(byte[] b, int off, long v) {
        U32.set(b, off, (int) v);
    }

    public static long u64(byte[] b, int off) {
        return (long) U64.get(b, off);
    }

    public static void u64(byte[] b, int off, long v) {
        U64.set(b, off, v);
    }
}
