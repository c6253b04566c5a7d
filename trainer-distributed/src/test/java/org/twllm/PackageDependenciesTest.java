package org.twllm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The product's package structure, read from the compiled classes of all three modules (src/main only:
 * tests and benchmarks are not in them): no package cycles, and the layering rules of docs/architecture.md.
 */
class PackageDependenciesTest {
    private static PackageGraph product;

    @BeforeAll
    static void readTheProduct() throws IOException {
        product = PackageGraph.ofModulesOf(org.twllm.errors.TwllmException.class, org.twllm.core.train.Trainer.class,
                org.twllm.cli.Main.class);
    }

    @Test
    void theReaderSeesKnownReferences() {
        assertTrue(product.edges.size() > 20, "packages read: " + product.edges.keySet());
        assertTrue(product.dependenciesOf("org.twllm.core.train").contains("org.twllm.core.engine"));
        assertTrue(product.dependenciesOf("org.twllm.dist.zero").contains("org.agrona") || product.dependenciesOf("org.twllm.dist.collective").contains("org.agrona"));
        assertTrue(product.dependenciesOf("org.twllm.core.engine.cpu").contains("org.nd4j.linalg.api.ndarray"));
    }

    @Test
    void noPackageCycles() {
        List<String> cycles = new ArrayList<>();
        for (Set<String> cycle : product.cycles()) {
            StringBuilder why = new StringBuilder(String.join(" <-> ", cycle));
            for (String from : cycle) {
                product.edges.get(from).forEach((to, example) -> {
                    if (cycle.contains(to)) {
                        why.append("\n    ").append(example);
                    }
                });
            }
            cycles.add(why.toString());
        }
        assertEquals(List.of(), cycles, "package cycles");
    }

    @Test
    void layersDependOnlyDownwards() {
        List<String> broken = new ArrayList<>();
        forbid(broken, "org.twllm.core.engine.cpu", "org.twllm.data.");
        forbid(broken, "org.twllm.core.engine.cpu", "org.twllm.core.train");
        forbid(broken, "org.twllm.core.checkpoint", "org.twllm.core.train");
        // twllm plan runs from a model's shape alone, on machines without ND4J (the GPU bundle)
        forbid(broken, "org.twllm.core.plan", "org.twllm.core.train");
        for (String pkg : product.edges.keySet()) {
            // The engine boundary: ND4J only inside the CPU engine, which the others load by class name
            // (Engines), so neither ND4J nor the CPU engine's classes are referenced anywhere else. This
            // covers the CUDA engine, which runs from the device bundle that carries no ND4J (docs/gpu.md).
            if (!pkg.equals("org.twllm.core.engine.cpu")) {
                forbid(broken, pkg, "org.nd4j");
                forbid(broken, pkg, "org.twllm.core.engine.cpu");
            }
            if (pkg.startsWith("org.twllm.data") || pkg.equals("org.twllm.errors") || pkg.equals("org.twllm.files")) {
                forbid(broken, pkg, "org.twllm.core");
            }
            if (pkg.startsWith("org.twllm.core")) {
                forbid(broken, pkg, "io.aeron");
                forbid(broken, pkg, "org.agrona");
                forbid(broken, pkg, "org.twllm.dist");
                forbid(broken, pkg, "org.twllm.cli");
                forbid(broken, pkg, "picocli");
            }
        }
        assertEquals(List.of(), broken, "references against the layering");
    }

    @Test
    void aCycleIsFound() {
        Map<String, Set<String>> graph = Map.of("a", Set.of("b"), "b", Set.of("c"), "c", Set.of("a", "d"), "d", Set.of());
        assertEquals(List.of(Set.of("a", "b", "c")), PackageGraph.stronglyConnected(graph));
        assertEquals(List.of(), PackageGraph.stronglyConnected(Map.of("a", Set.of("b"), "b", Set.of())));
    }

    private static void forbid(List<String> broken, String from, String prefix) {
        product.edges.getOrDefault(from, Map.of()).forEach((to, example) -> {
            if (to.startsWith(prefix)) {
                broken.add(example);
            }
        });
    }
}
