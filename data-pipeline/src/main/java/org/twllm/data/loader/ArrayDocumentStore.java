package org.twllm.data.loader;

import org.twllm.data.chat.TokenizedExample;
import org.twllm.data.shard.DocumentStore;

import java.util.ArrayList;
import java.util.List;

/**
 * Documents held in memory, for tests and small data. Each document is stored as given: a cPT document
 * should already be {@code [BOS] + ids + [EOS]} ({@link #forPretraining} builds that), an SFT document is
 * one rendered example with its loss mask ({@link #ofExamples}).
 */
public final class ArrayDocumentStore implements DocumentStore {
    private final int[] tokens;
    private final boolean[] lossMask;
    private final long[] starts;

    /** Documents without a loss mask (every token trained). */
    public ArrayDocumentStore(List<int[]> documents) {
        this(documents, null);
    }

    /** Documents with a per-token loss mask each ({@code masks} null: no mask). */
    public ArrayDocumentStore(List<int[]> documents, List<boolean[]> masks) {
        if (masks != null && masks.size() != documents.size()) {
            throw new IllegalArgumentException(documents.size() + " documents but " + masks.size() + " loss masks");
        }
        long total = 0;
        starts = new long[documents.size() + 1];
        for (int d = 0; d < documents.size(); d++) {
            starts[d] = total;
            total += documents.get(d).length;
            if (masks != null && masks.get(d).length != documents.get(d).length) {
                throw new IllegalArgumentException("document " + d + " has " + documents.get(d).length
                        + " tokens but a loss mask of " + masks.get(d).length);
            }
        }
        starts[documents.size()] = total;
        if (total > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(total + " tokens is more than an in-memory store holds; write shards instead");
        }
        tokens = new int[(int) total];
        lossMask = masks == null ? null : new boolean[(int) total];
        for (int d = 0; d < documents.size(); d++) {
            System.arraycopy(documents.get(d), 0, tokens, (int) starts[d], documents.get(d).length);
            if (masks != null) {
                System.arraycopy(masks.get(d), 0, lossMask, (int) starts[d], masks.get(d).length);
            }
        }
    }

    /** cPT documents: each {@code ids} becomes {@code [bos] + ids + [eos]}. */
    public static ArrayDocumentStore forPretraining(List<int[]> documentIds, int bosId, int eosId) {
        List<int[]> documents = new ArrayList<>(documentIds.size());
        for (int[] ids : documentIds) {
            int[] document = new int[ids.length + 2];
            document[0] = bosId;
            System.arraycopy(ids, 0, document, 1, ids.length);
            document[ids.length + 1] = eosId;
            documents.add(document);
        }
        return new ArrayDocumentStore(documents);
    }

    /** SFT documents: one rendered example each, with its loss mask. */
    public static ArrayDocumentStore ofExamples(List<TokenizedExample> examples) {
        List<int[]> documents = new ArrayList<>(examples.size());
        List<boolean[]> masks = new ArrayList<>(examples.size());
        for (TokenizedExample example : examples) {
            documents.add(example.ids());
            masks.add(example.lossMask());
        }
        return new ArrayDocumentStore(documents, masks);
    }

    @Override
    public long numDocuments() {
        return starts.length - 1;
    }

    @Override
    public long numTokens() {
        return tokens.length;
    }

    @Override
    public long documentStart(long doc) {
        if (doc < 0 || doc > numDocuments()) {
            throw new IndexOutOfBoundsException("document " + doc + " of " + numDocuments());
        }
        return starts[(int) doc];
    }

    @Override
    public void readTokens(long position, int[] dst, int offset, int length) {
        checkRange(position, length);
        System.arraycopy(tokens, (int) position, dst, offset, length);
    }

    @Override
    public boolean hasLossMask() {
        return lossMask != null;
    }

    @Override
    public void readLossMask(long position, boolean[] dst, int offset, int length) {
        if (lossMask == null) {
            throw new IllegalStateException("this store has no loss mask; check hasLossMask() first");
        }
        checkRange(position, length);
        System.arraycopy(lossMask, (int) position, dst, offset, length);
    }

    private void checkRange(long position, int length) {
        if (position < 0 || length < 0 || position + length > tokens.length) {
            throw new IndexOutOfBoundsException("tokens [" + position + ", " + (position + length) + ") of " + tokens.length);
        }
    }
}
