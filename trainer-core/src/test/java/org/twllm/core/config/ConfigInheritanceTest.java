package org.twllm.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** base: inheritance and --set overrides: precedence, merging, located problems. */
class ConfigInheritanceTest {
    @TempDir
    Path dir;
    ConfigFiles files;

    @BeforeEach
    void setUp() {
        files = new ConfigFiles(dir);
    }

    @Test
    void childOverridesBaseMapsMergeAndListsReplace() {
        files.write("configs/base.yaml", ConfigFiles.MINIMAL.replace("    - path: " + ConfigFiles.CORPUS + "\n",
                "    - path: " + ConfigFiles.CORPUS + "\n      name: a\n    - path: " + ConfigFiles.CORPUS + "\n      name: b\n"));
        files.write("configs/stage/child.yaml", """
                base: ../base.yaml
                run:
                  name: child
                data:
                  sources:
                    - path: corpus/mine.jsonl
                training:
                  learning_rate: 2.0e-5
                """);
        files.write("corpus/mine.jsonl", "{\"text\": \"台灣\"}\n");
        StageConfig c = StageConfigLoader.load(Path.of("configs/stage/child.yaml"), List.of(), dir);
        assertEquals("child", c.run().name());
        assertEquals(dir.resolve("out"), c.run().outputDir(), "base's value kept, relative to the working directory");
        assertEquals(2.0e-5, c.training().learningRate());
        assertEquals(10, c.training().maxSteps(), "maps merge key by key");
        assertEquals(1, c.data().sources().size(), "lists replace");
        assertEquals(dir.resolve("corpus/mine.jsonl"), c.data().sources().get(0).path());
        assertEquals("mine", c.data().sources().get(0).name());
        assertEquals(32, c.data().seqLen());
    }

    @Test
    void setOverridesWinOverFilesInTheirOrder() {
        files.write("base.yaml", ConfigFiles.MINIMAL);
        files.write("x.yaml", "base: base.yaml\ntraining:\n  learning_rate: 0.01\n");
        StageConfig c = StageConfigLoader.load(Path.of("x.yaml"),
                List.of("training.learning_rate=2e-4", "training.max_steps=7", "training.max_steps=8",
                        "data.sources.0.weight=2", "distributed.world_size=3", "data.system_prompt=你是台灣的助理"),
                dir);
        assertEquals(2e-4, c.training().learningRate());
        assertEquals(8, c.training().maxSteps());
        assertEquals(2.0, c.data().sources().get(0).weight());
        assertEquals(3, c.distributed().worldSize());
        assertEquals("你是台灣的助理", c.data().systemPrompt());
        files.write("y.yaml", "base: x.yaml\ndata:\n  system_prompt: 你好\n");
        assertNull(StageConfigLoader.load(Path.of("y.yaml"), List.of("data.system_prompt="), dir).data().systemPrompt(),
                "an empty --set value is null, which means the default");
    }

    @Test
    void nullKeepsTheDefault() {
        StageConfig c = files.load(ConfigFiles.MINIMAL, "training.warmup_steps=null");
        assertEquals(0, c.training().warmupSteps());
    }

    @Test
    void problemInABaseFileNamesTheBaseFileAndLine() {
        files.write("configs/base.yaml", ConfigFiles.MINIMAL.replace("learning_rate: 1.0e-3", "learning_rate: fast"));
        files.write("configs/x.yaml", "base: base.yaml\nrun:\n  name: x\n");
        assertEquals(List.of("configs/base.yaml:20:3: training.learning_rate: expected a number, got \"fast\""),
                files.validate("configs/x.yaml").problems());
        files.write("configs/y.yaml", "base: base.yaml\ntraining:\n  learning_rate: 0.1\n");
        assertEquals(List.of(), files.validate("configs/y.yaml").problems(), "a child can fix its base's value");
        files.write("configs/z.yaml", "base: base.yaml\ntraining:\n  learnin_rate: 0.1\n");
        assertEquals(List.of("configs/base.yaml:20:3: training.learning_rate: expected a number, got \"fast\"",
                        "configs/z.yaml:3:3: training.learnin_rate: unknown key; did you mean training.learning_rate?"),
                files.validate("configs/z.yaml").problems());
    }

    @Test
    void baseCyclesAndMissingBasesAreReported() {
        files.write("a.yaml", "base: b.yaml\n");
        files.write("b.yaml", "stage: cpt\nbase: a.yaml\n");
        assertEquals(List.of("b.yaml:2:1: base: base files form a cycle: a.yaml -> b.yaml -> a.yaml"),
                files.validate("a.yaml").problems());
        files.write("c.yaml", "stage: cpt\nbase: ../nope/base.yaml\n");
        assertEquals(List.of("c.yaml:2:1: base: base file ../nope/base.yaml not found (resolved to "
                        + dir.getParent().resolve("nope/base.yaml") + ")"),
                files.validate("c.yaml").problems());
        assertEquals(List.of("missing.yaml:1:1: config file not found (resolved to " + dir.resolve("missing.yaml") + ")"),
                files.validate("missing.yaml").problems());
    }

    @Test
    void setValuesAreTypeCheckedAndLocated() {
        files.write("x.yaml", ConfigFiles.MINIMAL);
        assertEquals(List.of("--set training.learning_rate=abc: expected a number, got \"abc\""),
                files.validate("x.yaml", "training.learning_rate=abc").problems());
        assertEquals(List.of("--set training.learning_rat=1: unknown key; did you mean training.learning_rate?"),
                files.validate("x.yaml", "training.learning_rat=1").problems());
        assertEquals(List.of("--set training.max_steps=true: expected an integer, got true"),
                files.validate("x.yaml", "training.max_steps=true").problems());
        assertEquals(List.of("--set oops: expected key.path=value"), files.validate("x.yaml", "oops").problems());
        assertEquals(List.of("--set base=other.yaml: base cannot be overridden with --set; edit the file"),
                files.validate("x.yaml", "base=other.yaml").problems());
        assertEquals(List.of("--set run.name.first=1: run.name is \"t\", not a map or list"),
                files.validate("x.yaml", "run.name.first=1").problems());
        assertEquals(List.of("--set data.sources.3.weight=2: data.sources is a list of 1 element;"
                        + " address an element by its index 0..0, not '3'"),
                files.validate("x.yaml", "data.sources.3.weight=2").problems());
        assertEquals(List.of("--set data.sources.0.weight=-2: must be greater than 0, got -2"),
                files.validate("x.yaml", "data.sources.0.weight=-2").problems());
        assertEquals(List.of("--set training.max_steps=[1: the value is not valid YAML; quote it"),
                files.validate("x.yaml", "training.max_steps=[1").problems());
    }

    @Test
    void setReplacingAMapReportsItsChildrenAgainstTheSet() {
        files.write("x.yaml", ConfigFiles.MINIMAL);
        assertEquals(List.of("--set data.sources=[{weight: 2}]: data.sources.0.path: required key is missing"),
                files.validate("x.yaml", "data.sources=[{weight: 2}]").problems());
    }
}
