package org.twllm.core.engine.cpu;

/**
 * Whether the fp32 softmax passes run on the JDK's Vector API ({@link VectorRows}): its {@code exp} is several times
 * faster than ND4J's, but the module incubates and must be added to the JVM ({@code --add-modules
 * jdk.incubator.vector}, as {@code scripts/twllm} and the build do). Without it, or with
 * {@code -Dtwllm.cpu.vector=false} (a benchmark's A/B), the same passes run as ND4J ops. This class names no
 * Vector API type, so asking it never loads the module.
 */
final class VectorSupport {
    static final boolean ENABLED = Boolean.parseBoolean(System.getProperty("twllm.cpu.vector", "true"))
            && ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();

    private VectorSupport() {
    }
}
