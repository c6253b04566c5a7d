package org.twllm.data.corpus;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.twllm.data.chat.ChatTemplate;
import org.twllm.data.chat.Dialogue;
import org.twllm.data.chat.Message;
import org.twllm.data.chat.Role;
import org.twllm.data.shard.ShardCorruptionException;
import org.twllm.data.shard.ShardManifest;
import org.twllm.data.shard.ShardSet;
import org.twllm.data.shard.ShardWriter;
import org.twllm.data.tokenizer.Tokenizer;
import org.twllm.errors.ConfigException;
import org.twllm.errors.TwllmException;
import org.twllm.files.AtomicFiles;
import org.twllm.files.FileTrees;
import org.twllm.progress.Progress;
import org.twllm.progress.ProgressOutput;

/**
 * {@code twllm data prepare}: reads each source, filters its documents, tokenizes them and writes one
 * shard directory plus {@code prepare-report.json}.
 *
 * <p>Per record, in order: extract the document (invalid records stop the run naming file:line, or are
 * counted when skipping); drop empty text; drop by length in characters; classify the script and drop
 * mostly-Simplified documents (or only count them); drop exact duplicates of any document kept before, in
 * this or an earlier source. Kept documents are written with the source's mixture weight. Parsing,
 * filtering and tokenizing run on worker threads; results are applied in input order, so the output is
 * the same for any number of threads (extractors must therefore be thread-safe). Sources are written one
 * after another in the order given.
 *
 * <p>Cached and atomic: the output's manifest records a fingerprint of every input (source files' paths,
 * sizes and modification times, formats, filters, weights, tokenizer, kind, templates, extra settings). A
 * run whose fingerprint equals the existing output's reuses it; otherwise the output is built in a fresh
 * temporary sibling folder and swapped in, so a failed or interrupted run leaves the old output intact.
 */
public final class CorpusPreparer {
    /** Bumped when the preparer's output for the same inputs changes, so old outputs are rebuilt. */
    static final int PREPARER_VERSION = 2;
    private static final Logger LOG = LoggerFactory.getLogger(CorpusPreparer.class);
    private static final int BATCH = 64;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Tokenizer tokenizer;
    private final PrepareSettings settings;
    private final ProgressOutput progress;

    /** A preparer that shows no progress. */
    public CorpusPreparer(Tokenizer tokenizer, PrepareSettings settings) {
        this(tokenizer, settings, ProgressOutput.none());
    }

    /** @param progress where the progress of a long preparation goes (documents read, MB/s of the source files, ETA) */
    public CorpusPreparer(Tokenizer tokenizer, PrepareSettings settings, ProgressOutput progress) {
        this.tokenizer = tokenizer;
        this.settings = settings;
        this.progress = progress;
    }

    /**
     * Prepares shards into {@code out}, or reuses them when {@code out} was made from the same inputs.
     * Processes preparing the same folder at once (the ranks of one node) take turns on a lock file beside
     * it: the first writes the shards, the others then find them and reuse them.
     */
    public PrepareReport prepare(Path out) {
        out = out.toAbsolutePath().normalize();
        Path lockFile = out.resolveSibling("." + out.getFileName() + ".lock");
        try {
            Files.createDirectories(out.getParent());
            try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                 FileLock lock = channel.lock()) {
                return prepareLocked(out);
            }
        } catch (IOException e) {
            throw new TwllmException("cannot lock " + lockFile + " to prepare " + out + ": " + e.getMessage(), e);
        }
    }

    private PrepareReport prepareLocked(Path out) {
        String fingerprint = inputsFingerprint();
        PrepareReport reused = reuse(out, fingerprint);
        if (reused != null) {
            return reused;
        }
        if (Files.exists(out) && !Files.isRegularFile(out.resolve(ShardManifest.FILE_NAME)) && !isEmptyDirectory(out)) {
            throw new ConfigException("output " + out + " exists and is not a shard directory: choose a new or empty --out"
                    + " (data prepare replaces its output and will not overwrite other files)");
        }
        try {
            deleteStaleSiblings(out);
        } catch (IOException e) {
            throw new TwllmException("cannot prepare the output folder " + out + ": " + e.getMessage(), e);
        }
        Path temp = out.resolveSibling("." + out.getFileName() + ".prepare-" + ProcessHandle.current().pid() + "-" + System.nanoTime());
        boolean done = false;
        try {
            List<SourceStats> stats = write(temp, fingerprint);
            PrepareReport report = new PrepareReport(out, settings.kind().id(), fingerprint, stats, false);
            AtomicFiles.write(temp.resolve(PrepareReport.FILE_NAME), report.toJson());
            swapIn(temp, out);
            done = true;
            return report;
        } catch (IOException e) {
            throw new TwllmException("cannot write the prepared shards to " + out + ": " + e.getMessage(), e);
        } finally {
            if (!done) {
                FileTrees.deleteRecursively(temp);
            }
        }
    }

    /**
     * The existing output when it was made from the same inputs and verifies (every shard body's checksum,
     * once per process); null when it must be built. A damaged output is rebuilt with a warning naming the
     * damaged file; one made from other inputs is rebuilt silently.
     */
    private PrepareReport reuse(Path out, String fingerprint) {
        if (!Files.isRegularFile(out.resolve(ShardManifest.FILE_NAME)) || !Files.isRegularFile(out.resolve(PrepareReport.FILE_NAME))) {
            return null;
        }
        try {
            if (!ShardManifest.read(out).inputsFingerprint().equals(fingerprint)) {
                return null;
            }
            ShardSet.open(out);
            PrepareReport report = PrepareReport.read(out);
            return report.inputsFingerprint().equals(fingerprint) ? report.asCached() : null;
        } catch (ShardCorruptionException damaged) {
            LOG.warn("cached {} {} is damaged: {}; rebuilding the shards from their sources", damaged.kind(), damaged.file(),
                    damaged.problem());
            return null;
        } catch (IOException damaged) {
            LOG.warn("cached {} is unreadable: {}; rebuilding the shards from their sources",
                    out.resolve(PrepareReport.FILE_NAME), damaged.getMessage());
            return null;
        }
    }

    private List<SourceStats> write(Path dir, String fingerprint) throws IOException {
        ContentDeduplicator dedup = new ContentDeduplicator();
        ScriptClassifier script = settings.scriptMode() == ScriptMode.OFF ? null : ScriptClassifier.openCc();
        List<SourceStats> all = new ArrayList<>();
        ExecutorService pool = settings.threads() > 1 ? Executors.newFixedThreadPool(settings.threads(), r -> {
            Thread t = new Thread(r, "twllm-tokenize");
            t.setDaemon(true);
            return t;
        }) : null;
        try (ShardWriter writer = ShardWriter.create(dir, settings.kind(), tokenizer.fingerprint(), tokenizer.vocabSize(),
                settings.maxShardBytes(), fingerprint);
             Progress shown = progress.start("data prepare", "documents", inputBytes())) {
            for (SourceSpec source : settings.sources()) {
                SourceStats stats = new SourceStats(source.name(), source.path().toString(), source.format().id(), source.weight());
                writer.beginSource(source.name());
                new SourcePass(source, stats, writer, dedup, script, pool, shown).run();
                all.add(stats);
            }
            ShardManifest manifest = writer.finish();
            for (SourceStats s : all) {
                for (ShardManifest.Entry e : manifest.shards()) {
                    if (e.source().equals(s.name())) {
                        s.documentsWritten += e.documents();
                        s.tokensWritten += e.tokens();
                    }
                }
            }
        } finally {
            if (pool != null) {
                pool.shutdownNow();
            }
        }
        return all;
    }

    /**
     * One source. This thread reads raw records in batches; workers parse them, extract the document,
     * apply the filters that look at one document alone (empty, length, script), hash it and tokenize it;
     * this thread then takes the batches back in input order, so the duplicate check, the counts, the
     * mixture weight and the written shards are the same for any number of threads.
     */
    private final class SourcePass {
        private final SourceSpec source;
        private final SourceStats stats;
        private final ShardWriter writer;
        private final ContentDeduplicator dedup;
        private final ScriptClassifier script;
        private final ExecutorService pool;
        private final MixtureWeight weight;
        private final DocumentExtractor extractor;
        private final Progress shown;
        private final long bytesBefore;
        private final long recordsBefore;
        private final Deque<Future<List<Outcome>>> inFlight = new ArrayDeque<>();
        private List<SourceRecord> batch = new ArrayList<>(BATCH);
        private SourceReader reader;

        SourcePass(SourceSpec source, SourceStats stats, ShardWriter writer, ContentDeduplicator dedup,
                ScriptClassifier script, ExecutorService pool, Progress shown) {
            this.source = source;
            this.stats = stats;
            this.writer = writer;
            this.dedup = dedup;
            this.script = script;
            this.pool = pool;
            this.weight = new MixtureWeight(source.name(), source.weight());
            this.extractor = settings.extractorFor(source);
            this.shown = shown;
            this.bytesBefore = shown.bytes();
            this.recordsBefore = shown.items();
        }

        void run() {
            try (SourceReader r = new SourceReader(source, settings.columnsFor(source))) {
                reader = r;
                for (SourceRecord raw; (raw = r.nextRaw()) != null; ) {
                    batch.add(raw);
                    if (batch.size() == BATCH) {
                        submit();
                    }
                }
                submit();
                while (!inFlight.isEmpty()) {
                    drainOne();
                }
            }
            long kept = stats.documentsKept;
            for (int pass = 1; pass < weight.wholePasses(); pass++) {
                writer.repeatSource(kept, i -> true);
            }
            if (weight.wholePasses() > 0 && source.weight() > weight.wholePasses()) {
                writer.repeatSource(kept, weight::inFractionalPass);
            }
        }

        private void submit() {
            if (batch.isEmpty()) {
                return;
            }
            List<SourceRecord> records = batch;
            batch = new ArrayList<>(BATCH);
            inFlight.add(pool == null ? CompletableFuture.completedFuture(process(records)) : pool.submit(() -> process(records)));
            // Bounded look-ahead keeps memory flat: at most two batches per thread wait to be written.
            while (inFlight.size() > 2 * settings.threads()) {
                drainOne();
            }
        }

        /** Everything about a batch that does not depend on other documents; runs on a worker. */
        private List<Outcome> process(List<SourceRecord> records) {
            List<Outcome> out = new ArrayList<>(records.size());
            for (SourceRecord raw : records) {
                out.add(process(raw));
            }
            return out;
        }

        private Outcome process(SourceRecord raw) {
            DocumentExtractor.Extracted extracted;
            try {
                extracted = extractor.extract(raw.json() == null && source.format().jsonLines() ? SourceReader.parseJson(raw) : raw);
            } catch (InvalidRecordException e) {
                return Outcome.invalid(e.getMessage());
            }
            if (extracted.document() == null) {
                return Outcome.dropped(extracted.dropReason(), false);
            }
            String text = extracted.document().text();
            if (text.isBlank()) {
                return Outcome.dropped(SourceStats.EMPTY, false);
            }
            if (settings.minChars() > 0 || settings.maxChars() > 0) {
                int chars = text.codePointCount(0, text.length());
                if (chars < settings.minChars()) {
                    return Outcome.dropped(SourceStats.TOO_SHORT, false);
                }
                if (settings.maxChars() > 0 && chars > settings.maxChars()) {
                    return Outcome.dropped(SourceStats.TOO_LONG, false);
                }
            }
            boolean simplified = script != null && script.count(text).mostlySimplified();
            if (simplified && settings.scriptMode() == ScriptMode.KEEP_TRADITIONAL) {
                return Outcome.dropped(SourceStats.SIMPLIFIED, true);
            }
            long[] hash = settings.dedup() ? ContentDeduplicator.hash(text) : null;
            return new Outcome(null, null, simplified, hash, extracted.document().encode(tokenizer));
        }

        /** Takes the oldest batch back and applies, in input order, what depends on earlier documents. */
        private void drainOne() {
            List<Outcome> outcomes;
            try {
                outcomes = inFlight.removeFirst().get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new TwllmException("data prepare was interrupted", e);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof RuntimeException re) {
                    throw re;
                }
                throw new TwllmException("preparing " + source.path() + " failed: " + e.getCause().getMessage(), e.getCause());
            }
            shown.update(recordsBefore + stats.recordsRead + outcomes.size(), bytesBefore + reader.bytesDone());
            for (Outcome o : outcomes) {
                stats.recordsRead++;
                if (o.invalid() != null) {
                    if (!settings.skipInvalid()) {
                        // No config key skips records: the advice names what works from data prepare and from train.
                        throw new ConfigException(o.invalid() + ": fix or remove the record, or prepare the source with"
                                + " 'twllm data prepare --skip-invalid --out DIR' (which counts and skips such records) and"
                                + " train on DIR as a 'format: shards' source");
                    }
                    stats.drop(SourceStats.INVALID);
                    continue;
                }
                if (o.mostlySimplified()) {
                    stats.mostlySimplified++;
                }
                if (o.dropReason() != null) {
                    stats.drop(o.dropReason());
                    continue;
                }
                if (o.hash() != null && !dedup.firstTime(o.hash()[0], o.hash()[1])) {
                    stats.drop(SourceStats.DUPLICATE);
                    continue;
                }
                long index = stats.documentsKept++;
                stats.tokensKept += o.encoded().tokens().length;
                if (weight.wholePasses() > 0 || weight.inFractionalPass(index)) {
                    writer.append(o.encoded().tokens(), o.encoded().lossMask());
                }
            }
        }
    }

    /**
     * What a worker found about one record: invalid (with the message), dropped (with the reason), or
     * a document to keep unless it duplicates an earlier one (content hash; null when dedup is off).
     */
    private record Outcome(String invalid, String dropReason, boolean mostlySimplified, long[] hash, EncodedDocument encoded) {
        static Outcome invalid(String message) {
            return new Outcome(message, null, false, null, null);
        }

        static Outcome dropped(String reason, boolean mostlySimplified) {
            return new Outcome(null, reason, mostlySimplified, null, null);
        }
    }

    /** The size of every source's files as stored: what the progress line counts through. */
    private long inputBytes() {
        long total = 0;
        for (SourceSpec s : settings.sources()) {
            for (Path f : SourceFiles.of(s.path())) {
                try {
                    total += Files.size(f);
                } catch (IOException e) {
                    throw new ConfigException("cannot read source file " + f + ": " + e.getMessage());
                }
            }
        }
        return total;
    }

    /** SHA-256 (hex) of a canonical JSON description of every input that shapes the output. */
    public String inputsFingerprint() {
        ObjectNode root = JSON.createObjectNode();
        root.put("preparerVersion", PREPARER_VERSION);
        root.put("kind", settings.kind().id());
        root.put("tokenizer", tokenizer.fingerprint());
        root.put("scriptFilter", settings.scriptMode().id());
        root.put("dedup", settings.dedup());
        root.put("minChars", settings.minChars());
        root.put("maxChars", settings.maxChars());
        root.put("skipInvalid", settings.skipInvalid());
        root.put("maxShardBytes", settings.maxShardBytes());
        root.put("chatTemplate", templateIdentity(settings.chatTemplate()));
        root.put("feedbackRatingField", String.valueOf(settings.feedbackRatingField()));
        root.put("feedbackScoreThreshold", String.valueOf(settings.feedbackScoreThreshold()));
        ObjectNode extra = root.putObject("extra");
        settings.extraInputs().forEach(extra::put);
        ArrayNode sources = root.putArray("sources");
        for (SourceSpec s : settings.sources()) {
            ObjectNode n = sources.addObject();
            n.put("name", s.name());
            n.put("format", s.format().id());
            n.put("textField", s.textField());
            n.put("messagesField", s.messagesField());
            n.put("weight", s.weight());
            ArrayNode files = n.putArray("files");
            for (Path f : SourceFiles.of(s.path())) {
                try {
                    BasicFileAttributes a = Files.readAttributes(f, BasicFileAttributes.class);
                    files.addObject().put("path", f.toAbsolutePath().normalize().toString()).put("size", a.size())
                            .put("mtime", a.lastModifiedTime().toMillis());
                } catch (IOException e) {
                    throw new ConfigException("cannot read source file " + f + ": " + e.getMessage());
                }
            }
        }
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            return HexFormat.of().formatHex(sha.digest(JSON.writeValueAsString(root).getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException | IOException e) {
            throw new IllegalStateException("cannot fingerprint the prepare inputs", e);
        }
    }

    /** A template's identity: its name and its rendering of a probe dialogue (captures formats and system prompt). */
    private static String templateIdentity(ChatTemplate template) {
        if (template == null) {
            return "";
        }
        List<Message> turns = List.of(new Message(Role.USER, "U"), new Message(Role.ASSISTANT, "A"));
        List<Message> withSystem = new ArrayList<>(turns);
        withSystem.add(0, new Message(Role.SYSTEM, "S"));
        String probe;
        try {
            probe = template.renderText(new Dialogue(withSystem));
        } catch (ConfigException noSystemFormat) {
            probe = "";
        }
        return template.name() + "\n" + probe + "\n" + template.renderText(new Dialogue(turns));
    }

    /**
     * Puts the finished {@code temp} folder at {@code out}. Two renames (a directory cannot be renamed
     * over a non-empty one): the old output moves aside first and is deleted after. A crash in between
     * leaves no output, and the next run rebuilds it.
     */
    private static void swapIn(Path temp, Path out) throws IOException {
        Path old = null;
        if (Files.exists(out)) {
            old = out.resolveSibling("." + out.getFileName() + ".prepare-old-" + System.nanoTime());
            Files.move(out, old, StandardCopyOption.ATOMIC_MOVE);
        }
        AtomicFiles.commitDirectory(temp, out);
        if (old != null) {
            FileTrees.deleteRecursively(old);
        }
    }

    /** Deletes temporary folders of earlier runs on {@code out} that crashed ({@code .NAME.prepare-*}). */
    private static void deleteStaleSiblings(Path out) throws IOException {
        try (DirectoryStream<Path> stale = Files.newDirectoryStream(out.getParent(), "." + out.getFileName() + ".prepare-*")) {
            for (Path p : stale) {
                FileTrees.deleteRecursively(p);
            }
        }
    }

    private static boolean isEmptyDirectory(Path dir) {
        try (Stream<Path> list = Files.list(dir)) {
            return list.findAny().isEmpty();
        } catch (IOException e) {
            return false;
        }
    }
}
