package org.twllm.core.engine.cuda;

import org.twllm.core.engine.Bf16;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import org.twllm.core.io.DType;

/**
 * Host arrays to and from device memory, converting to and from the storage type (bf16 rounds to nearest
 * even, as DType does). For set-up, checks and results; the training step's own transfers reuse buffers.
 */
public final class HostTransfer {
    private HostTransfer() {
    }

    /** values stored as {@code type} at {@code address}. */
    public static void upload(Gpu gpu, long address, float[] values, StorageType type) {
        ByteBuffer b = ByteBuffer.allocateDirect(values.length * type.bytes()).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            if (type == StorageType.F32) {
                b.putFloat(v);
            } else {
                b.putShort(Bf16.fromFloat(v));
            }
        }
        gpu.upload(address, b.flip());
    }

    public static void upload(Gpu gpu, long address, int[] values) {
        ByteBuffer b = ByteBuffer.allocateDirect(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int v : values) {
            b.putInt(v);
        }
        gpu.upload(address, b.flip());
    }

    /** {@code count} values of {@code type} at {@code address}, as floats. */
    public static float[] download(Gpu gpu, long address, int count, StorageType type) {
        ByteBuffer b = ByteBuffer.allocateDirect(count * type.bytes()).order(ByteOrder.LITTLE_ENDIAN);
        gpu.download(address, b);
        b.flip();
        float[] out = new float[count];
        for (int i = 0; i < count; i++) {
            out[i] = type == StorageType.F32 ? b.getFloat() : Bf16.toFloat(b.getShort());
        }
        return out;
    }

    public static double[] downloadDoubles(Gpu gpu, long address, int count) {
        ByteBuffer b = ByteBuffer.allocateDirect(count * 8).order(ByteOrder.LITTLE_ENDIAN);
        gpu.download(address, b);
        b.flip();
        double[] out = new double[count];
        for (int i = 0; i < count; i++) {
            out[i] = b.getDouble();
        }
        return out;
    }

    /** values as the device holds them in {@code type} (bf16-rounded for BF16). */
    public static float[] rounded(float[] values, StorageType type) {
        if (type == StorageType.F32) {
            return values.clone();
        }
        float[] out = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = Bf16.toFloat(Bf16.fromFloat(values[i]));
        }
        return out;
    }

    public static double[] toDoubles(float[] values) {
        double[] out = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i];
        }
        return out;
    }
}
