package org.twllm.data.shard;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import org.twllm.errors.ConfigException;
import org.twllm.errors.TwllmException;

/**
 * A directory of shards written by {@link ShardWriter}, read as one {@link DocumentStore}: the shards'
 * documents end to end in manifest order. Opening reads the manifest and maps every shard, checking each
 * file's size, header and document boundaries against the manifest, and (unless asked not to) verifies
 * every shard's body: its CRC32C against the manifest and every token id against the vocabulary. A body
 * is verified once per process ({@link VerifiedShards}); {@link #verify()} always reads everything again.
 * Files not listed in the manifest (temporary files of a crashed write) are never read. Reads are thread-safe.
 */
public final class ShardSet implements DocumentStore {
    private final Path dir;
    private final ShardManifest manifest;
    private final MappedShard[] shards;
    /** Global token and document offsets where each shard starts; one extra entry for the totals. */
    private final long[] tokenStarts;
    private final long[] docStarts;

    private ShardSet(Path dir, ShardManifest manifest, MappedShard[] shards) {
        this.dir = dir;
        this.manifest = manifest;
        this.shards = shards;
        this.tokenStarts = new long[shards.length + 1];
        this.docStarts = new long[shards.length + 1];
        for (int i = 0; i < shards.length; i++) {
            tokenStarts[i + 1] = tokenStarts[i] + shards[i].header().numTokens();
            docStarts[i + 1] = docStarts[i] + shards[i].header().numDocuments();
        }
    }

    /** Opens {@code dir} and verifies every shard body not yet verified by this process (the way to open data for use). */
    public static ShardSet open(Path dir) {
        return open(dir, true);
    }

    /**
     * Opens {@code dir}; with {@code verifyBodies} false only the cheap checks run (sizes, headers,
     * boundaries), for tools that show a directory before verifying it.
     */
    public static ShardSet open(Path dir, boolean verifyBodies) {
        return open(dir, verifyBodies, MappedShard.DEFAULT_WINDOW_SHIFT);
    }

    /** {@link #open(Path, boolean)} mapping in windows of {@code 2^windowShift} bytes (tests use small ones). */
    static ShardSet open(Path dir, boolean verifyBodies, int windowShift) {
        ShardManifest manifest = ShardManifest.read(dir);
        MappedShard[] shards = new MappedShard[manifest.shards().size()];
        for (int i = 0; i < shards.length; i++) {
            ShardManifest.Entry e = manifest.shards().get(i);
            Path file = dir.resolve(e.file());
            if (!file.normalize().getParent().equals(dir.normalize()) || e.file().startsWith(".")) {
                throw new TwllmException("shard manifest " + dir.resolve(ShardManifest.FILE_NAME) + " lists '" + e.file()
                        + "', which is not a shard file of that directory; re-run 'twllm data prepare'");
            }
            VerifiedShards.Identity identity = verifyBodies ? VerifiedShards.of(file, e.checksum()) : null;
            MappedShard shard = MappedShard.open(file, windowShift);
            checkAgainstManifest(shard, e, manifest);
            if (identity != null && !VerifiedShards.contains(identity)) {
                verifyBody(shard, e, manifest.vocabSize());
                VerifiedShards.add(identity);
            }
            shards[i] = shard;
        }
        return new ShardSet(dir, manifest, shards);
    }

    private static void checkAgainstManifest(MappedShard shard, ShardManifest.Entry e, ShardManifest manifest) {
        ShardHeader h = shard.header();
        String mismatch = null;
        if (h.fileBytes() != e.bytes()) {
            mismatch = "it is " + h.fileBytes() + " bytes but the manifest says " + e.bytes();
        } else if (h.numTokens() != e.tokens() || h.numDocuments() != e.documents()) {
            mismatch = "it holds " + h.numTokens() + " tokens in " + h.numDocuments() + " documents but the manifest says "
                    + e.tokens() + " in " + e.documents();
        } else if (h.tokenBytes() != manifest.tokenBytes() || h.vocabSize() != manifest.vocabSize()) {
            mismatch = "its token width or vocabulary size differs from the manifest's";
        } else if (h.hasLossMask() != (manifest.kind() == ShardKind.SFT)) {
            mismatch = "it " + (h.hasLossMask() ? "has" : "lacks") + " a loss mask but the manifest's kind is " + manifest.kind().id();
        } else if (!formatChecksum(h.bodyCrc()).equals(e.checksum())) {
            mismatch = "its header checksum " + formatChecksum(h.bodyCrc()) + " differs from the manifest's " + e.checksum();
        }
        if (mismatch != null) {
            throw MappedShard.corrupt(shard.file(), "it does not match the manifest: " + mismatch);
        }
    }

    /** Verifies every shard's body again (checksum and token ids); throws naming the first bad shard. */
    public void verify() {
        for (int i = 0; i < shards.length; i++) {
            verifyBody(shards[i], manifest.shards().get(i), manifest.vocabSize());
        }
    }

    /**
     * Reads the whole body once: a checksum other than the manifest's is corruption; a token id outside the
     * vocabulary, in a body whose checksum matches, means the shard was not written by twllm for this
     * tokenizer, and is named with its document.
     */
    private static void verifyBody(MappedShard shard, ShardManifest.Entry entry, int vocabSize) {
        MappedShard.BodyScan scan = shard.scanBody(vocabSize);
        String actual = formatChecksum(scan.crc());
        if (!actual.equals(entry.checksum())) {
            throw MappedShard.corrupt(shard.file(), "its checksum is " + actual + ", not the recorded " + entry.checksum());
        }
        if (scan.badToken() >= 0) {
            long doc = shard.documentAt(scan.badToken());
            throw new TwllmException("shard " + shard.file() + ": document " + doc + " (of source " + entry.source()
                    + ") holds token id " + scan.badId() + " at its token " + (scan.badToken() - shard.boundary(doc))
                    + ", outside the vocabulary of " + vocabSize + " tokens the shards were made with; the shards were"
                    + " not written by 'twllm data prepare' with this tokenizer: re-run it to rewrite them");
        }
    }

    /**
     * Refuses shards made with another tokenizer than {@code fingerprint} (the run's tokenizer): token ids
     * of one tokenizer mean different text under another.
     */
    public void requireTokenizer(String fingerprint) {
        if (!manifest.tokenizerFingerprint().equals(fingerprint)) {
            throw new ConfigException("shards in " + dir + " were made with tokenizer " + manifest.tokenizerFingerprint()
                    + " but this run uses tokenizer " + fingerprint
                    + ": re-run 'twllm data prepare' with this run's tokenizer, or use the tokenizer the shards were made with");
        }
    }

    public Path directory() {
        return dir;
    }

    public ShardManifest manifest() {
        return manifest;
    }

    public ShardKind kind() {
        return manifest.kind();
    }

    public String tokenizerFingerprint() {
        return manifest.tokenizerFingerprint();
    }

    public int vocabSize() {
        return manifest.vocabSize();
    }

    @Override
    public long numDocuments() {
        return docStarts[shards.length];
    }

    @Override
    public long numTokens() {
        return tokenStarts[shards.length];
    }

    @Override
    public long documentStart(long doc) {
        if (doc < 0 || doc > numDocuments()) {
            throw new IndexOutOfBoundsException("document " + doc + " of " + numDocuments());
        }
        if (doc == numDocuments()) {
            return numTokens();
        }
        int s = shardOf(docStarts, doc);
        return tokenStarts[s] + shards[s].boundary(doc - docStarts[s]);
    }

    /** The tokens of document {@code doc}. */
    public int[] documentTokens(long doc) {
        long start = documentStart(doc);
        int[] out = new int[Math.toIntExact(documentStart(doc + 1) - start)];
        readTokens(start, out, 0, out.length);
        return out;
    }

    /** The source (as named in the manifest) document {@code doc} came from. */
    public String documentSource(long doc) {
        if (doc < 0 || doc >= numDocuments()) {
            throw new IndexOutOfBoundsException("document " + doc + " of " + numDocuments());
        }
        return manifest.shards().get(shardOf(docStarts, doc)).source();
    }

    @Override
    public void readTokens(long position, int[] dst, int offset, int length) {
        checkRange(position, length);
        while (length > 0) {
            int s = shardOf(tokenStarts, position);
            long local = position - tokenStarts[s];
            int n = (int) Math.min(length, shards[s].header().numTokens() - local);
            shards[s].readTokens(local, dst, offset, n);
            position += n;
            offset += n;
            length -= n;
        }
    }

    @Override
    public boolean hasLossMask() {
        return manifest.kind() == ShardKind.SFT;
    }

    @Override
    public void readLossMask(long position, boolean[] dst, int offset, int length) {
        if (!hasLossMask()) {
            throw new IllegalStateException("cpt shards in " + dir + " carry no loss mask");
        }
        checkRange(position, length);
        while (length > 0) {
            int s = shardOf(tokenStarts, position);
            long local = position - tokenStarts[s];
            int n = (int) Math.min(length, shards[s].header().numTokens() - local);
            shards[s].readLossMask(local, dst, offset, n);
            position += n;
            offset += n;
            length -= n;
        }
    }

    /** The shards' file names in stream order. */
    public List<String> shardFiles() {
        return manifest.shards().stream().map(ShardManifest.Entry::file).toList();
    }

    static String formatChecksum(int crc32c) {
        return String.format(Locale.ROOT, "crc32c:%08x", crc32c);
    }

    private void checkRange(long position, int length) {
        if (position < 0 || length < 0 || position + length > numTokens()) {
            throw new IndexOutOfBoundsException("tokens [" + position + ", " + (position + length) + ") of " + numTokens());
        }
    }

    /** Index of the shard whose range {@code [starts[i], starts[i+1])} holds {@code x} (skipping empty shards). */
    private static int shardOf(long[] starts, long x) {
        int i = Arrays.binarySearch(starts, 0, starts.length - 1, x);
        if (i < 0) {
            return -i - 2;
        }
        // Several shards may start at x when some are empty; take the last, the one that holds x.
        while (i + 1 < starts.length - 1 && starts[i + 1] == x) {
            i++;
        }
        return i;
    }
}
