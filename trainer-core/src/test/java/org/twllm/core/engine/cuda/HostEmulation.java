package org.twllm.core.engine.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;

/**
 * Builds the emulated device (device_server.cpp with cuda_emulation.h, the engine's kernel program and a
 * dispatch table generated from {@link Kernel}) with the machine's g++, once per content: the binary lies
 * under target/cuda-emulation/HASH and is reused while the sources are unchanged. Tests using it are
 * skipped, with a message, on a machine without g++.
 */
final class HostEmulation {
    private static final String RESOURCES = "emulation/";
    private static Path binary;

    private HostEmulation() {
    }

    static synchronized Path binary() {
        Assumptions.assumeTrue(onPath("g++"), "g++ is not on the PATH: the host emulation of the CUDA kernels is skipped");
        if (binary != null) {
            return binary;
        }
        try {
            String header = resource("cuda_emulation.h");
            String server = resource("device_server.cpp");
            String kernels = KernelSource.program();
            String dispatch = dispatchTable();
            Path dir = Path.of("target", "cuda-emulation", hash(header, server, kernels, dispatch)).toAbsolutePath();
            Path exe = dir.resolve("device_server");
            if (!Files.isExecutable(exe)) {
                Files.createDirectories(dir);
                Files.writeString(dir.resolve("cuda_emulation.h"), header);
                Files.writeString(dir.resolve("device_server.cpp"), server);
                Files.writeString(dir.resolve("kernels.inc"), kernels);
                Files.writeString(dir.resolve("dispatch.inc"), dispatch);
                Path partial = dir.resolve("device_server.partial");
                run(dir, List.of("g++", "-std=c++20", "-O1", "-g", "-pthread", "-ffp-contract=off", "-Wall", "-Wno-unused-function",
                        "-fsanitize=address", "-I", dir.toString(), "-o", partial.toString(), dir.resolve("device_server.cpp").toString()));
                Files.move(partial, exe, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            }
            binary = exe;
            return exe;
        } catch (IOException e) {
            throw new AssertionError("could not build the host emulation: " + e.getMessage(), e);
        }
    }

    /** C++ calling each kernel entry by its index in {@link Kernel#entries()}, converting the arguments by type. */
    static String dispatchTable() {
        StringBuilder out = new StringBuilder("// Generated from org.twllm.core.engine.cuda.Kernel by HostEmulation.\n");
        out.append("void dispatch(uint32_t kernel, uint32_t count, emu::dim3 grid, emu::dim3 block, Arg* a) {\n");
        out.append("    switch (kernel) {\n");
        for (Kernel.Entry e : Kernel.entries()) {
            int n = e.kernel().parameterCount();
            out.append("        case ").append(e.index()).append(":\n");
            out.append("            if (count != ").append(n).append(") emu::fail(\"").append(e.name()).append(": wrong argument count\");\n");
            out.append("            emu::launch(grid, block, [&] { ").append(e.name()).append('(');
            for (int i = 0; i < n; i++) {
                out.append(i == 0 ? "" : ", ").append("a[").append(i).append(']');
            }
            out.append("); });\n            break;\n");
        }
        out.append("        default:\n            emu::fail(\"unknown kernel index\");\n    }\n}\n");
        return out.toString();
    }

    static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }

    /** Runs a command in {@code dir}; fails the test with its output unless it exits 0 within 5 minutes. */
    static String run(Path dir, List<String> command) throws IOException {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        byte[] output;
        try (InputStream in = p.getInputStream()) {
            output = in.readAllBytes();
            if (!p.waitFor(5, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new AssertionError(String.join(" ", command) + " did not finish");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
        String text = new String(output, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new AssertionError(String.join(" ", command) + " failed:\n" + text);
        }
        return text;
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = HostEmulation.class.getResourceAsStream(RESOURCES + name)) {
            if (in == null) {
                throw new IOException("missing test resource " + RESOURCES + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static String hash(String... parts) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (String part : parts) {
                md.update(part.getBytes(StandardCharsets.UTF_8));
            }
            return HexFormat.of().formatHex(md.digest()).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
