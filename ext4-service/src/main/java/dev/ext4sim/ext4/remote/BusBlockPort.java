package dev.ext4sim.ext4.remote;

import dev.ext4sim.bus.ErrnoException;
import dev.ext4sim.bus.block.BlockIo;
import dev.ext4sim.bus.block.PowerOnFence;
import dev.ext4sim.bus.call.CallClient;
import dev.ext4sim.bus.trace.TraceContext;
import dev.ext4sim.ext4.port.BlockPort;
import dev.ext4sim.ext4.port.DataBio;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * ext4's block I/O as blk_submit calls to blockdev-service, in the caller's task: a bio is cut at blockdev's 1 MiB
 * and a call at 8 MiB of payload, each call one plug. Every call goes through the {@link PowerOnFence}: ext4-service
 * goes down with a device that lost its cache.
 */
public final class BusBlockPort implements BlockPort {
    private static final int SECTORS_PER_BLOCK = BLOCK_SIZE / 512;
    private static final int MAX_BIO = 1 << 20;
    private static final int MAX_CALL = 8 << 20;

    private final CallClient client;
    private final String dev;
    private final Duration timeout;
    private final PowerOnFence fence;

    public BusBlockPort(CallClient client, String dev, Duration timeout, PowerOnFence fence) {
        this.client = client;
        this.dev = dev;
        this.timeout = timeout;
        this.fence = fence;
    }

    private BlockIo.Completion submit(TraceContext ctx, BlockIo.Submit s) {
        try {
            return fence.completed(client.invoke(BlockIo.SERVICE, BlockIo.SUBMIT, fence.stamp(s), timeout, ctx));
        } catch (ErrnoException e) {
            throw fence.failed(e);
        }
    }

    @Override
    public byte[] read(TraceContext ctx, long block, int count) {
        return read(ctx, block, count, BlockIo.SYNC);
    }

    @Override
    public byte[] readMeta(TraceContext ctx, long block, int count) {
        return read(ctx, block, count, BlockIo.META);
    }

    private byte[] read(TraceContext ctx, long block, int count, String flag) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(count * BLOCK_SIZE);
        long at = block;
        int left = count;
        while (left > 0) {
            List<BlockIo.Bio> bios = new ArrayList<>();
            int callBytes = 0;
            while (left > 0 && callBytes < MAX_CALL) {
                int blocks = Math.min(left, MAX_BIO / BLOCK_SIZE);
                bios.add(BlockIo.Bio.read(at * SECTORS_PER_BLOCK, blocks * BLOCK_SIZE, flag));
                at += blocks;
                left -= blocks;
                callBytes += blocks * BLOCK_SIZE;
            }
            BlockIo.Completion c = submit(ctx, new BlockIo.Submit(dev, bios, new byte[0]));
            out.writeBytes(c.data());
        }
        return out.toByteArray();
    }

    @Override
    public void submit(TraceContext ctx, List<DataBio> bios) {
        submit(ctx, bios, false);
    }

    @Override
    public void submit(TraceContext ctx, List<DataBio> bios, boolean plugged) {
        List<BlockIo.Bio> call = new ArrayList<>();
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        for (DataBio b : bios) {
            String[] flags = b.flags().stream().map(Enum::name).sorted().toArray(String[]::new);
            for (int off = 0; off < b.data().length; off += MAX_BIO) {
                int len = Math.min(MAX_BIO, b.data().length - off);
                if (data.size() + len > MAX_CALL) {
                    send(ctx, call, data, plugged);
                    call = new ArrayList<>();
                    data = new ByteArrayOutputStream();
                }
                call.add(BlockIo.Bio.write((b.block() + off / BLOCK_SIZE) * SECTORS_PER_BLOCK, len, flags));
                data.write(b.data(), off, len);
            }
        }
        if (!call.isEmpty()) {
            send(ctx, call, data, plugged);
        }
    }

    private void send(TraceContext ctx, List<BlockIo.Bio> bios, ByteArrayOutputStream data, boolean plugged) {
        submit(ctx, new BlockIo.Submit(dev, bios, data.toByteArray()).underPlug(plugged));
    }

    @Override
    public void finishPlug(TraceContext ctx) {
        try {
            client.invoke(BlockIo.SERVICE, BlockIo.FINISH_PLUG, new BlockIo.FinishPlug(dev), timeout, ctx);
        } catch (ErrnoException e) {
            throw fence.failed(e);
        }
    }

    @Override
    public void flush(TraceContext ctx) {
        submit(ctx, new BlockIo.Submit(dev, List.of(BlockIo.Bio.flush()), new byte[0]));
    }
}
