package org.twllm.core.engine.cuda;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.javacpp.SizeTPointer;
import org.bytedeco.cuda.global.nvrtc;
import org.bytedeco.cuda.nvrtc._nvrtcProgram;

/**
 * Compiles the kernel program ({@link KernelSource}) with NVRTC into a CUBIN for one GPU architecture
 * ({@code sm_90} on H100/H200), once per process and architecture. A failed compile reports NVRTC's log.
 */
final class NvrtcCompiler {
    private static final Map<String, byte[]> CUBINS = new ConcurrentHashMap<>();

    private NvrtcCompiler() {
    }

    /** The CUBIN of the kernel program for {@code architecture}. */
    static byte[] cubin(String architecture) {
        return CUBINS.computeIfAbsent(architecture, NvrtcCompiler::compile);
    }

    /** NVRTC's version, as "13.0". */
    static String version() {
        int[] major = new int[1];
        int[] minor = new int[1];
        CudaStatus.nvrtc(nvrtc.nvrtcVersion(major, minor), "report its version", "");
        return major[0] + "." + minor[0];
    }

    private static byte[] compile(String architecture) {
        _nvrtcProgram program = new _nvrtcProgram();
        CudaStatus.nvrtc(nvrtc.nvrtcCreateProgram(program, new BytePointer(KernelSource.program()), new BytePointer("twllm_kernels.cu"),
                0, (PointerPointer<?>) null, (PointerPointer<?>) null), "create the kernel program", "");
        try {
            PointerPointer<BytePointer> options = new PointerPointer<>("--gpu-architecture=" + architecture, "--std=c++17",
                    "--device-as-default-execution-space");
            int status = nvrtc.nvrtcCompileProgram(program, 3, options);
            CudaStatus.nvrtc(status, "compile the CUDA kernels for " + architecture, log(program));
            SizeTPointer size = new SizeTPointer(1);
            CudaStatus.nvrtc(nvrtc.nvrtcGetCUBINSize(program, size), "size the compiled kernels", "");
            byte[] cubin = new byte[(int) size.get()];
            CudaStatus.nvrtc(nvrtc.nvrtcGetCUBIN(program, cubin), "return the compiled kernels", "");
            return cubin;
        } finally {
            nvrtc.nvrtcDestroyProgram(program);
        }
    }

    private static String log(_nvrtcProgram program) {
        SizeTPointer size = new SizeTPointer(1);
        if (nvrtc.nvrtcGetProgramLogSize(program, size) != nvrtc.NVRTC_SUCCESS || size.get() <= 1) {
            return "";
        }
        byte[] text = new byte[(int) size.get()];
        nvrtc.nvrtcGetProgramLog(program, text);
        return new String(text, 0, text.length - 1, java.nio.charset.StandardCharsets.UTF_8);
    }
}
