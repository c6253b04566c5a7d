package org.twllm.core.engine.cuda;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.bytedeco.cuda.global.cudart;
import org.twllm.errors.TwllmException;

/**
 * Whether this machine can run the CUDA engine, said in one sentence when it cannot: no NVIDIA driver
 * ({@code libcuda.so.1}, looked up where the dynamic linker looks: its cache and the library path), no CUDA 13
 * libraries, or no GPU visible to the driver. The driver is looked for before any CUDA class is loaded, so a
 * machine without a GPU gets the plain answer rather than a linker error.
 */
final class CudaRuntime {
    static final String DRIVER = "libcuda.so.1";
    private static final Path LINKER_CACHE = Path.of("/etc/ld.so.cache");
    private static final List<String> SYSTEM_DIRS = List.of("/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib64",
            "/lib64", "/usr/lib", "/usr/local/cuda/compat", "/usr/lib/wsl/lib");

    private CudaRuntime() {
    }

    /** Fails with one sentence unless the driver, the CUDA 13 libraries and at least one GPU are there; returns the GPU count. */
    static int requireDevice() {
        if (!driverPresent(libraryDirs(), LINKER_CACHE)) {
            throw new TwllmException("no CUDA driver (" + DRIVER + ") found: device.backend: cuda needs an NVIDIA GPU with its"
                    + " driver installed; use device.backend: cpu on this machine");
        }
        CudaGpu.loadLibraries();
        int[] count = new int[1];
        int status = cudart.cudaGetDeviceCount(count);
        if (status == cudart.cudaErrorNoDevice || (status == cudart.cudaSuccess && count[0] == 0)) {
            throw new TwllmException("no CUDA device visible: the NVIDIA driver sees no GPU (check nvidia-smi and CUDA_VISIBLE_DEVICES)");
        }
        CudaStatus.runtime(status, "find a GPU");
        return count[0];
    }

    /** Whether {@link #DRIVER} lies in one of {@code dirs} or the dynamic linker's cache names it. */
    static boolean driverPresent(List<Path> dirs, Path linkerCache) {
        for (Path dir : dirs) {
            if (Files.isRegularFile(dir.resolve(DRIVER))) {
                return true;
            }
        }
        try {
            // the cache stores each library's name as plain text beside its path
            return Files.isReadable(linkerCache)
                    && new String(Files.readAllBytes(linkerCache), StandardCharsets.ISO_8859_1).contains(DRIVER);
        } catch (IOException e) {
            return false;
        }
    }

    /** LD_LIBRARY_PATH, java.library.path and the usual system folders. */
    static List<Path> libraryDirs() {
        List<Path> dirs = new ArrayList<>();
        for (String path : List.of(System.getenv().getOrDefault("LD_LIBRARY_PATH", ""), System.getProperty("java.library.path", ""))) {
            for (String dir : path.split(java.io.File.pathSeparator)) {
                if (!dir.isBlank()) {
                    dirs.add(Path.of(dir));
                }
            }
        }
        SYSTEM_DIRS.forEach(d -> dirs.add(Path.of(d)));
        return dirs;
    }
}
