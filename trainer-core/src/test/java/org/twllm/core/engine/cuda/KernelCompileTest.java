package org.twllm.core.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kernel program compiles for Hopper (sm_90) with the toolkit's nvcc, warnings as errors, and
 * defines every entry point of the catalogue: broken or NVRTC-incompatible CUDA C fails here, in CI,
 * before any GPU sees it. Skipped, with a message, where nvcc is not on the PATH.
 */
class KernelCompileTest {
    @Test
    void theKernelProgramCompilesForSm90AndDefinesEveryEntryPoint(@TempDir Path dir) throws IOException {
        Assumptions.assumeTrue(HostEmulation.onPath("nvcc"), "nvcc is not on the PATH: the sm_90 compile check is skipped");
        Path source = dir.resolve("twllm_kernels.cu");
        Files.writeString(source, KernelSource.program());
        Path ptx = dir.resolve("twllm_kernels.ptx");
        HostEmulation.run(dir, List.of("nvcc", "--ptx", "-arch=sm_90", "-std=c++17", "-Werror", "all-warnings",
                "-o", ptx.toString(), source.toString()));
        String text = Files.readString(ptx);
        for (Kernel.Entry e : Kernel.entries()) {
            assertTrue(text.contains(".visible .entry " + e.name() + "("), e.name() + " is missing from the compiled program");
        }
    }

    @Test
    void theProgramIncludesNoHeader() {
        // NVRTC compiles without include paths: the sources must not need the toolkit's headers.
        for (String file : KernelSource.FILES) {
            assertTrue(!KernelSource.read(file).contains("#include"), file + " includes a header");
        }
    }
}
