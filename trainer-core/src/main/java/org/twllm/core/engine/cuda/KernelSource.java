package org.twllm.core.engine.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.twllm.errors.TwllmException;

/**
 * The CUDA C of every kernel as ONE program: {@code kernels/prelude.cuh} then each {@code .cu} file, read
 * from the classpath, with {@code #line} markers so a compiler's messages name the file and line. NVRTC
 * compiles this text on the GPU; the tests compile the same text with nvcc and, under a host emulation
 * header, with g++. It includes no header, so it needs no include path.
 */
public final class KernelSource {
    /** The program's files, in order. */
    public static final List<String> FILES = List.of("prelude.cuh", "embedding.cu", "rmsnorm.cu", "rotary.cu",
            "elementwise.cu", "attention.cu", "cross_entropy.cu", "adamw.cu");

    private static final String FOLDER = "kernels/";
    private static volatile String program;

    private KernelSource() {
    }

    /** The whole program (read once per process). */
    public static String program() {
        String p = program;
        if (p == null) {
            StringBuilder out = new StringBuilder();
            for (String file : FILES) {
                out.append("#line 1 \"").append(file).append("\"\n").append(read(file)).append('\n');
            }
            p = out.toString();
            program = p;
        }
        return p;
    }

    /** One file's text. */
    public static String read(String file) {
        try (InputStream in = KernelSource.class.getResourceAsStream(FOLDER + file)) {
            if (in == null) {
                throw new TwllmException("the kernel source " + file + " is missing from the twllm jar; rebuild it");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new TwllmException("could not read the kernel source " + file + ": " + e.getMessage(), e);
        }
    }
}
