package org.twllm.core.engine.cuda;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A {@link Gpu} backed by the host emulation process (see {@link HostEmulation} and device_server.cpp):
 * the engine's kernel sources run as compiled for the CPU, GEMMs are plain host loops in fp64. At most 3
 * blocks per grid-strided launch, so every grid-stride loop goes round more than once.
 */
final class EmulatedGpu implements Gpu {
    private final Process process;
    private final OutputStream out;
    private final InputStream in;
    private final Path errors;
    private final ByteBuffer command = ByteBuffer.allocate(1024).order(ByteOrder.LITTLE_ENDIAN);
    private final ByteBuffer reply = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);

    private final int threads;

    /** Blocks of 64 threads (two warps, so cross-warp reductions run). */
    EmulatedGpu() {
        this(64);
    }

    /** Blocks of {@code threads} threads (32, one warp, runs a whole model quicker). */
    EmulatedGpu(int threads) {
        this.threads = threads;
        Path exe = HostEmulation.binary();
        try {
            errors = Files.createTempFile("twllm-emulation", ".log");
            ProcessBuilder pb = new ProcessBuilder(exe.toString()).redirectError(errors.toFile());
            pb.environment().put("ASAN_OPTIONS", "detect_leaks=0");
            process = pb.start();
        } catch (IOException e) {
            throw new AssertionError("could not start the host emulation: " + e.getMessage(), e);
        }
        out = new BufferedOutputStream(process.getOutputStream(), 1 << 16);
        in = new BufferedInputStream(process.getInputStream(), 1 << 16);
    }

    @Override
    public DeviceInfo info() {
        return new DeviceInfo("host emulation", 0, 0, Runtime.getRuntime().maxMemory(), 1, 0, 0, "g++");
    }

    @Override
    public int threadsPerBlock() {
        return threads;
    }

    @Override
    public int maxBlocks() {
        return 3;
    }

    @Override
    public DeviceBuffer allocate(long bytes) {
        begin(1).putLong(bytes);
        send();
        flush();
        return new DeviceBuffer(this, readLong(), bytes);
    }

    @Override
    public void free(long address, long bytes) {
        begin(2).putLong(address);
        send();
    }

    @Override
    public void fill(long address, int value, long bytes) {
        begin(3).putLong(address).put((byte) value).putLong(bytes);
        send();
    }

    @Override
    public void upload(long address, ByteBuffer src) {
        begin(4).putLong(address).putLong(src.remaining());
        send();
        byte[] data = new byte[src.remaining()];
        src.duplicate().get(data);
        write(data);
    }

    @Override
    public void download(long address, ByteBuffer dst) {
        begin(5).putLong(address).putLong(dst.remaining());
        send();
        flush();
        byte[] data = readFully(dst.remaining());
        dst.duplicate().put(data);
        dst.position(dst.position() + data.length);
    }

    @Override
    public void copy(long dst, long src, long bytes) {
        begin(6).putLong(dst).putLong(src).putLong(bytes);
        send();
    }

    @Override
    public void launch(Kernel.Entry entry, int gridX, int gridY, int threads, KernelArgs args) {
        args.requireMatches(entry.kernel());
        ByteBuffer c = begin(7).putInt(entry.index()).putInt(gridX).putInt(gridY).putInt(1).putInt(threads).putInt(args.count());
        for (int i = 0; i < args.count(); i++) {
            c.put((byte) args.type(i).ordinal()).putLong(args.bits(i));
        }
        send();
    }

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, long lda, long strideA,
            long b, long ldb, long strideB, float beta, long c, long ldc, long strideC, int batch, StorageType abType,
            StorageType cType) {
        begin(8).put((byte) (transA ? 1 : 0)).put((byte) (transB ? 1 : 0)).putInt(m).putInt(n).putInt(k).putFloat(alpha)
                .putLong(a).putLong(lda).putLong(strideA).putLong(b).putLong(ldb).putLong(strideB).putFloat(beta)
                .putLong(c).putLong(ldc).putLong(strideC).putInt(batch).put((byte) abType.ordinal()).put((byte) cType.ordinal());
        send();
    }

    @Override
    public void synchronize() {
        begin(9);
        send();
        flush();
        readFully(1);
    }

    @Override
    public void close() {
        try {
            out.close();
            process.waitFor();
            Files.deleteIfExists(errors);
        } catch (IOException | InterruptedException e) {
            process.destroyForcibly();
        }
    }

    private ByteBuffer begin(int op) {
        command.clear();
        return command.put((byte) op);
    }

    private void send() {
        write(java.util.Arrays.copyOf(command.array(), command.position()));
    }

    private void write(byte[] data) {
        try {
            out.write(data);
        } catch (IOException e) {
            throw died();
        }
    }

    private void flush() {
        try {
            out.flush();
        } catch (IOException e) {
            throw died();
        }
    }

    private long readLong() {
        reply.clear();
        reply.put(readFully(8)).flip();
        return reply.getLong();
    }

    private byte[] readFully(int n) {
        try {
            byte[] data = in.readNBytes(n);
            if (data.length != n) {
                throw died();
            }
            return data;
        } catch (IOException e) {
            throw died();
        }
    }

    private AssertionError died() {
        try {
            process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
            return new AssertionError("the host emulation stopped: " + Files.readString(errors, StandardCharsets.UTF_8));
        } catch (IOException | InterruptedException e) {
            return new AssertionError("the host emulation stopped");
        }
    }
}
