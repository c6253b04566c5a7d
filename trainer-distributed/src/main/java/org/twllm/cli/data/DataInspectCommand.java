package org.twllm.cli.data;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

import org.twllm.data.shard.ShardManifest;
import org.twllm.data.shard.ShardSet;
import org.twllm.data.tokenizer.SentencePieceTokenizer;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code twllm data inspect DIR}: a shard folder's counts, a full checksum verification, and the first
 * documents decoded (with {@code --tokenizer}; as ids otherwise). In SFT documents the trained tokens are
 * shown between ⟦ and ⟧.
 */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Print a shard folder's counts, verify its checksums and show its first documents.")
public final class DataInspectCommand implements Callable<Integer> {
    private static final int MAX_IDS_SHOWN = 64;

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "DIR", description = "A folder written by 'twllm data prepare'.")
    Path dir;

    @Option(names = "--samples", defaultValue = "3", description = "Documents to show (default: ${DEFAULT-VALUE}).")
    int samples;

    @Option(names = "--tokenizer", paramLabel = "FILE", description = "Decode with this SentencePiece model (it must be the one the shards were made with).")
    Path tokenizerFile;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        ShardSet set = ShardSet.open(dir, false); // the summary first, then the full verification below
        SentencePieceTokenizer tokenizer = null;
        if (tokenizerFile != null) {
            tokenizer = SentencePieceTokenizer.load(tokenizerFile);
            set.requireTokenizer(tokenizer.fingerprint());
        }
        ShardManifest m = set.manifest();
        out.printf("shards:      %s%n", dir.toAbsolutePath().normalize());
        out.printf("kind:        %s (%s token ids%s)%n", m.kind().id(), m.dtype(), set.hasLossMask() ? ", loss mask" : "");
        out.printf("tokenizer:   %s, vocabulary %d%n", m.tokenizerFingerprint(), m.vocabSize());
        out.printf("documents:   %d%n", set.numDocuments());
        out.printf("tokens:      %d%n", set.numTokens());
        long bytes = m.shards().stream().mapToLong(ShardManifest.Entry::bytes).sum();
        out.printf("files:       %d shard(s), %s%n", m.shards().size(),
                bytes < (1 << 20) ? String.format("%.1f KiB", bytes / 1024.0) : String.format("%.1f MiB", bytes / 1048576.0));
        Map<String, long[]> bySource = new LinkedHashMap<>();
        for (ShardManifest.Entry e : m.shards()) {
            long[] c = bySource.computeIfAbsent(e.source(), k -> new long[2]);
            c[0] += e.documents();
            c[1] += e.tokens();
        }
        bySource.forEach((source, c) -> out.printf("  %-24s %10d documents %14d tokens%n", source, c[0], c[1]));
        out.flush();
        set.verify();
        out.printf("checksums:   ok (CRC32C of every shard matches the manifest)%n");
        if (Files.isRegularFile(dir.resolve("prepare-report.json"))) {
            out.printf("report:      %s%n", dir.resolve("prepare-report.json"));
        }
        for (long doc = 0; doc < Math.min(samples, set.numDocuments()); doc++) {
            int[] tokens = set.documentTokens(doc);
            boolean[] mask = null;
            if (set.hasLossMask()) {
                mask = new boolean[tokens.length];
                set.readLossMask(set.documentStart(doc), mask, 0, tokens.length);
            }
            out.printf("%n--- document %d (%s, %d tokens%s)%n", doc, set.documentSource(doc), tokens.length,
                    mask == null ? "" : ", " + trained(mask) + " trained");
            out.println(tokenizer != null ? decode(tokenizer, tokens, mask) : ids(tokens));
        }
        out.flush();
        return 0;
    }

    private static int trained(boolean[] mask) {
        int n = 0;
        for (boolean b : mask) {
            n += b ? 1 : 0;
        }
        return n;
    }

    /** The text of a document; runs of trained tokens are wrapped in ⟦ ⟧ and BOS/EOS written out. */
    private static String decode(SentencePieceTokenizer tokenizer, int[] tokens, boolean[] mask) {
        StringBuilder text = new StringBuilder();
        int start = 0;
        while (start < tokens.length) {
            boolean trained = mask != null && mask[start];
            int end = start;
            while (end < tokens.length && (mask != null && mask[end]) == trained) {
                end++;
            }
            String run = decodeRun(tokenizer, Arrays.copyOfRange(tokens, start, end));
            text.append(mask != null && trained ? "⟦" + run + "⟧" : run);
            start = end;
        }
        return text.toString();
    }

    private static String decodeRun(SentencePieceTokenizer tokenizer, int[] ids) {
        StringBuilder text = new StringBuilder();
        int from = 0;
        for (int i = 0; i <= ids.length; i++) {
            boolean control = i < ids.length && (ids[i] == tokenizer.bosId() || ids[i] == tokenizer.eosId());
            if (i == ids.length || control) {
                text.append(tokenizer.decode(Arrays.copyOfRange(ids, from, i)));
                if (control) {
                    text.append(ids[i] == tokenizer.bosId() ? "<s>" : "</s>");
                }
                from = i + 1;
            }
        }
        return text.toString();
    }

    private static String ids(int[] tokens) {
        int shown = Math.min(tokens.length, MAX_IDS_SHOWN);
        String list = Arrays.toString(Arrays.copyOf(tokens, shown));
        return shown < tokens.length ? list.substring(0, list.length() - 1) + ", ... (" + (tokens.length - shown) + " more)]" : list;
    }
}
