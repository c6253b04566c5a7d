package org.twllm.core.engine;

import org.twllm.errors.TwllmException;

/**
 * The engines, each loaded by class name: a run on the CPU engine never loads a CUDA class and a run on the CUDA
 * engine never loads ND4J (the device bundle carries no ND4J at all).
 */
public final class Engines {
    /** The CPU engine: ND4J, the reference every other engine is tested against. */
    public static final String CPU = "org.twllm.core.engine.cpu.CpuEngineFactory";
    /** The CUDA engine: cuBLAS and NVRTC kernels through the JavaCPP CUDA presets. */
    public static final String CUDA = "org.twllm.core.engine.cuda.CudaEngineFactory";

    private Engines() {
    }

    public static EngineFactory cpu() {
        return load(CPU);
    }

    /** Whether this build carries the engine whose factory is {@code className} (the class is not initialised). */
    public static boolean inThisBuild(String className) {
        try {
            Class.forName(className, false, Engines.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }

    /** The factory named {@code className} (a public class with a public no-argument constructor). */
    public static EngineFactory load(String className) {
        try {
            return (EngineFactory) Class.forName(className).getConstructor().newInstance();
        } catch (ReflectiveOperationException | LinkageError e) {
            throw new TwllmException("the engine " + className + " is not in this build; rebuild twllm", e);
        }
    }
}
