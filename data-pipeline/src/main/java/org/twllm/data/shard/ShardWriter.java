package org.twllm.data.shard;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.LongPredicate;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;

import org.twllm.errors.ConfigException;
import org.twllm.errors.TwllmException;
import org.twllm.files.AtomicFiles;

/**
 * Appends tokenized documents to shard files in a directory and finishes with {@code manifest.json}.
 * Documents are never split across shards; a new shard starts when the current one would pass the size
 * limit. Each shard is written to a temporary sibling, fsynced and renamed into place; the manifest is
 * written last the same way, so a crash leaves either no manifest (nothing readable) or a complete set.
 * Not thread-safe: one writer, one thread.
 */
public final class ShardWriter implements AutoCloseable {
    /** Default shard size limit: 512 MiB (about 256M uint16 tokens). */
    public static final long DEFAULT_MAX_SHARD_BYTES = 512L << 20;
    private static final Pattern SOURCE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    private static final int WRITE_BUFFER = 1 << 20;

    private final Path dir;
    private final ShardKind kind;
    private final String tokenizerFingerprint;
    private final int vocabSize;
    private final int tokenBytes;
    private final long maxShardBytes;
    private final String inputsFingerprint;
    private final List<ShardManifest.Entry> written = new ArrayList<>();
    private String source = "shard";
    private String fileStem = "shard";
    private int sourceShardIndex;
    private OpenShard current;
    private boolean finished;

    private ShardWriter(Path dir, ShardKind kind, String tokenizerFingerprint, int vocabSize, long maxShardBytes,
            String inputsFingerprint) {
        this.dir = dir;
        this.kind = kind;
        this.tokenizerFingerprint = tokenizerFingerprint;
        this.vocabSize = vocabSize;
        this.tokenBytes = ShardHeader.tokenBytesFor(vocabSize);
        this.maxShardBytes = maxShardBytes;
        this.inputsFingerprint = inputsFingerprint;
    }

    /**
     * A writer into {@code dir} (created if needed; it must not already hold a manifest). Stale temporary
     * files from a crashed earlier write are deleted.
     *
     * @param maxShardBytes size limit of one shard file; a single document larger than it gets a shard of its own
     */
    public static ShardWriter create(Path dir, ShardKind kind, String tokenizerFingerprint, int vocabSize,
            long maxShardBytes, String inputsFingerprint) {
        if (vocabSize <= 0) {
            throw new ConfigException("vocabulary size must be positive, got " + vocabSize);
        }
        if (maxShardBytes < 4096) {
            throw new ConfigException("shard size limit must be at least 4096 bytes, got " + maxShardBytes);
        }
        try {
            Files.createDirectories(dir);
            if (Files.exists(dir.resolve(ShardManifest.FILE_NAME))) {
                throw new ConfigException("shard directory " + dir + " already holds a " + ShardManifest.FILE_NAME
                        + ": write into an empty directory");
            }
            deleteStaleTemps(dir);
        } catch (IOException e) {
            throw new TwllmException("cannot prepare shard directory " + dir + ": " + e.getMessage(), e);
        }
        return new ShardWriter(dir, kind, tokenizerFingerprint, vocabSize, maxShardBytes,
                inputsFingerprint == null ? "" : inputsFingerprint);
    }

    /** A writer with the default shard size and no inputs fingerprint. */
    public static ShardWriter create(Path dir, ShardKind kind, String tokenizerFingerprint, int vocabSize) {
        return create(dir, kind, tokenizerFingerprint, vocabSize, DEFAULT_MAX_SHARD_BYTES, "");
    }

    /** Deletes temporary siblings left behind by a write that crashed. */
    private static void deleteStaleTemps(Path dir) throws IOException {
        try (DirectoryStream<Path> stale = Files.newDirectoryStream(dir, AtomicFiles::isTemporary)) {
            for (Path p : stale) {
                Files.deleteIfExists(p);
            }
        }
    }

    /**
     * Starts the documents of source {@code name}: later shards are named {@code NAME-00000.bin},
     * {@code NAME-00001.bin}, ... and carry the source name in the manifest. Each name may be used once.
     * A name that is not a plain file name (letters, digits, '.', '_', '-') is kept as is in the manifest;
     * its files are named by its plain characters and a hash of it, e.g. {@code src-3f2a9c1e-00000.bin}.
     */
    public void beginSource(String name) {
        checkOpen();
        if (name == null || name.isBlank()) {
            throw new ConfigException("a source needs a non-empty name");
        }
        if (written.stream().anyMatch(e -> e.source().equals(name)) || (current != null && name.equals(source))) {
            throw new ConfigException("source name '" + name + "' is used twice: give each source its own name");
        }
        closeShard();
        source = name;
        fileStem = fileStem(name);
        sourceShardIndex = 0;
    }

    /** The name itself when it is a plain file name, else its plain characters and 8 hex digits of its hash. */
    static String fileStem(String name) {
        if (SOURCE_NAME.matcher(name).matches()) {
            return name;
        }
        String plain = name.replaceAll("[^A-Za-z0-9._-]", "");
        plain = plain.isEmpty() || !Character.isLetterOrDigit(plain.charAt(0)) ? "src" : plain.substring(0, Math.min(40, plain.length()));
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(name.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return String.format(java.util.Locale.ROOT, "%s-%08x", plain, crc.getValue());
    }

    /** Appends a cPT document (kind cpt). */
    public void append(int[] tokens) {
        append(tokens, null);
    }

    /** Appends a document; {@code lossMask} (true = trained) is required for kind sft and refused for cpt. */
    public void append(int[] tokens, boolean[] lossMask) {
        checkOpen();
        if ((kind == ShardKind.SFT) != (lossMask != null)) {
            throw new IllegalArgumentException(kind == ShardKind.SFT ? "an sft document needs a loss mask"
                    : "a cpt document has no loss mask");
        }
        if (lossMask != null && lossMask.length != tokens.length) {
            throw new IllegalArgumentException("loss mask has " + lossMask.length + " entries for " + tokens.length + " tokens");
        }
        for (int id : tokens) {
            if (id < 0 || id >= vocabSize) {
                throw new IllegalArgumentException("token id " + id + " is outside the vocabulary [0, " + vocabSize + ")");
            }
        }
        if (current != null && current.numDocs > 0 && current.bytesWith(tokens.length) > maxShardBytes) {
            closeShard();
        }
        if (current == null) {
            current = new OpenShard(String.format(java.util.Locale.ROOT, "%s-%05d.bin", fileStem, sourceShardIndex++));
        }
        current.append(tokens, lossMask);
    }

    /**
     * Appends again, in order, those of the first {@code documents} documents written for the current
     * source for which {@code include} (given the document's index within the source) is true. Used for
     * mixture weights above 1 without reading or tokenizing the source again.
     */
    public void repeatSource(long documents, LongPredicate include) {
        checkOpen();
        closeShard();
        // A snapshot: the copies appended below go to new shards that this loop must not read.
        List<ShardManifest.Entry> ofSource = written.stream().filter(e -> e.source().equals(source)).toList();
        long index = 0;
        for (ShardManifest.Entry e : ofSource) {
            if (index >= documents) {
                break;
            }
            MappedShard shard = MappedShard.open(dir.resolve(e.file()));
            long docs = shard.header().numDocuments();
            for (long d = 0; d < docs && index < documents; d++, index++) {
                if (!include.test(index)) {
                    continue;
                }
                long start = shard.boundary(d);
                int len = Math.toIntExact(shard.boundary(d + 1) - start);
                int[] tokens = new int[len];
                shard.readTokens(start, tokens, 0, len);
                boolean[] mask = null;
                if (kind == ShardKind.SFT) {
                    mask = new boolean[len];
                    shard.readLossMask(start, mask, 0, len);
                }
                append(tokens, mask);
            }
        }
        if (index < documents) {
            throw new IllegalArgumentException("source " + source + " has " + index + " documents, not " + documents);
        }
    }

    /** Documents written so far for the current source (all passes). */
    public long documentsOfCurrentSource() {
        long n = written.stream().filter(e -> e.source().equals(source)).mapToLong(ShardManifest.Entry::documents).sum();
        return n + (current == null ? 0 : current.numDocs);
    }

    /** Closes the last shard, writes the manifest atomically and returns it. */
    public ShardManifest finish() {
        checkOpen();
        closeShard();
        ShardManifest manifest = new ShardManifest(kind, tokenizerFingerprint, vocabSize, tokenBytes, inputsFingerprint,
                written);
        AtomicFiles.write(dir.resolve(ShardManifest.FILE_NAME), manifest.toJson());
        finished = true;
        return manifest;
    }

    /** Abandons an unfinished write: deletes the open temporary shard; no manifest is written. */
    @Override
    public void close() {
        if (!finished && current != null) {
            current.abandon();
            current = null;
        }
        finished = true;
    }

    private void checkOpen() {
        if (finished) {
            throw new IllegalStateException("shard writer for " + dir + " is already finished or closed");
        }
    }

    private void closeShard() {
        if (current != null) {
            written.add(current.commit());
            current = null;
        }
    }

    /** The shard being written: tokens stream to a temporary file; boundaries and mask bits wait in memory. */
    private final class OpenShard {
        final String name;
        final Path target;
        final Path temp;
        final FileChannel channel;
        final ByteBuffer buffer = ByteBuffer.allocateDirect(WRITE_BUFFER).order(ByteOrder.LITTLE_ENDIAN);
        final CRC32C crc = new CRC32C();
        long[] boundaries = new long[1024];
        byte[] mask = kind == ShardKind.SFT ? new byte[1024] : null;
        long numTokens;
        int numDocs;

        OpenShard(String name) {
            this.name = name;
            this.target = dir.resolve(name);
            this.temp = AtomicFiles.tempSibling(target);
            try {
                channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                channel.position(ShardHeader.BYTES);
            } catch (IOException e) {
                throw new TwllmException("cannot create shard " + temp + ": " + e.getMessage(), e);
            }
        }

        long bytesWith(int moreTokens) {
            long tokens = numTokens + moreTokens;
            return ShardHeader.align8(ShardHeader.BYTES + tokens * tokenBytes) + 8L * (numDocs + 2)
                    + (mask != null ? (tokens + 7) / 8 : 0);
        }

        void append(int[] tokens, boolean[] lossMask) {
            if (numDocs + 1 >= boundaries.length) {
                boundaries = Arrays.copyOf(boundaries, boundaries.length * 2);
            }
            if (lossMask != null) {
                long needed = (numTokens + tokens.length + 7) / 8;
                if (needed > mask.length) {
                    mask = Arrays.copyOf(mask, Math.toIntExact(Math.max(needed, 2L * mask.length)));
                }
                for (int i = 0; i < lossMask.length; i++) {
                    if (lossMask[i]) {
                        long t = numTokens + i;
                        mask[(int) (t >>> 3)] |= (byte) (1 << (t & 7));
                    }
                }
            }
            for (int id : tokens) {
                if (buffer.remaining() < 4) {
                    flush();
                }
                if (tokenBytes == 2) {
                    buffer.putShort((short) id);
                } else {
                    buffer.putInt(id);
                }
            }
            numTokens += tokens.length;
            boundaries[++numDocs] = numTokens;
        }

        void flush() {
            buffer.flip();
            crc.update(buffer.duplicate());
            try {
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
            } catch (IOException e) {
                throw new TwllmException("cannot write shard " + temp + ": " + e.getMessage(), e);
            }
            buffer.clear();
        }

        void put(byte[] bytes, int length) {
            for (int off = 0; off < length; ) {
                if (!buffer.hasRemaining()) {
                    flush();
                }
                int n = Math.min(buffer.remaining(), length - off);
                buffer.put(bytes, off, n);
                off += n;
            }
        }

        ShardManifest.Entry commit() {
            ShardHeader header = null;
            try {
                long tokenEnd = ShardHeader.BYTES + numTokens * tokenBytes;
                put(new byte[8], (int) (ShardHeader.align8(tokenEnd) - tokenEnd));
                for (int d = 0; d <= numDocs; d++) {
                    if (buffer.remaining() < 8) {
                        flush();
                    }
                    buffer.putLong(boundaries[d]);
                }
                if (mask != null) {
                    put(mask, Math.toIntExact((numTokens + 7) / 8));
                }
                flush();
                header = new ShardHeader(tokenBytes, mask != null, vocabSize, numTokens, numDocs, (int) crc.getValue());
                ByteBuffer h = header.encode();
                for (long at = 0; h.hasRemaining(); ) {
                    at += channel.write(h, at);
                }
                if (channel.size() != header.fileBytes()) {
                    throw new IOException("wrote " + channel.size() + " bytes, expected " + header.fileBytes());
                }
                channel.force(true);
                channel.close();
            } catch (TwllmException e) {
                abandon();
                throw e;
            } catch (IOException e) {
                abandon();
                throw new TwllmException("cannot write shard " + target + ": " + e.getMessage(), e);
            }
            try {
                AtomicFiles.commit(temp, target);
            } catch (TwllmException e) {
                abandon();
                throw e;
            }
            return new ShardManifest.Entry(name, source, numTokens, numDocs, header.fileBytes(),
                    ShardSet.formatChecksum(header.bodyCrc()));
        }

        void abandon() {
            try {
                channel.close();
                Files.deleteIfExists(temp);
            } catch (IOException ignored) {
                // best effort: a leftover temp file is deleted by the next writer and never read
            }
        }
    }
}
