package org.twllm.data.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * SentencePiece's Unigram segmentation (unigram_model.cc, the optimized Viterbi that is its default): the
 * segmentation into mergeable pieces with the highest total score, where a user-defined piece scores
 * {@code utf8Length * maxScore - 0.1}, UNUSED pieces are skipped, and a character with no one-character
 * piece may be taken as unknown with score {@code minScore - 10}. Float and double arithmetic follow the
 * C++ code so that ties and near-ties resolve the same way.
 */
final class UnigramSegmenter implements Segmenter {
    private static final float UNK_PENALTY = 10.0f;

    private final int unkId;
    private final CharTrie trie;
    private final float[] score;
    private final boolean[] unused;
    private final boolean[] userDefined;
    private final int[] utf8Length;
    private final float maxScore;
    private final float unkScore;
    private final ThreadLocal<Work> work = ThreadLocal.withInitial(Work::new);

    UnigramSegmenter(SentencePieceModel model, PieceIndex index, UserSymbolMatcher userSymbols) {
        int size = model.size();
        this.unkId = index.unkId();
        this.trie = new CharTrie(size);
        this.score = new float[size];
        this.unused = new boolean[size];
        this.userDefined = new boolean[size];
        this.utf8Length = new int[size];
        float min = Float.MAX_VALUE;
        float max = Float.MIN_VALUE;
        for (int id = 0; id < size; id++) {
            PieceType type = model.type(id);
            score[id] = model.score(id);
            unused[id] = type == PieceType.UNUSED;
            userDefined[id] = type == PieceType.USER_DEFINED;
            utf8Length[id] = model.piece(id).getBytes(StandardCharsets.UTF_8).length;
            if (type == PieceType.NORMAL) {
                min = Math.min(min, model.score(id));
                max = Math.max(max, model.score(id));
            }
            if (type.isMergeable()) {
                trie.add(model.piece(id), id);
            }
        }
        this.maxScore = max;
        this.unkScore = min - UNK_PENALTY;
    }

    @Override
    public void segment(char[] text, int length, Segments out) {
        Work w = work.get();
        w.reset(length);
        float[] bestScore = w.bestScore;
        int[] startsAt = w.startsAt;
        int[] bestId = w.bestId;
        for (int pos = 0; pos < length; ) {
            float tillHere = bestScore[pos];
            int charLength = Character.isHighSurrogate(text[pos]) && pos + 1 < length
                    && Character.isLowSurrogate(text[pos + 1]) ? 2 : 1;
            boolean hasSingleCharPiece = false;
            int node = CharTrie.ROOT;
            for (int end = pos; end < length; ) {
                node = trie.child(node, text[end]);
                if (node < 0) {
                    break;
                }
                end++;
                int id = trie.value(node);
                if (id < 0 || unused[id]) {
                    continue;
                }
                // In C++ the user-defined score is a double, which makes the sum a double.
                double pieceScore = userDefined[id] ? (double) (utf8Length[id] * maxScore) - 0.1 : score[id];
                double candidate = pieceScore + tillHere;
                if (startsAt[end] == -1 || candidate > bestScore[end]) {
                    bestScore[end] = (float) candidate;
                    startsAt[end] = pos;
                    bestId[end] = id;
                }
                if (end - pos == charLength) {
                    hasSingleCharPiece = true;
                }
            }
            if (!hasSingleCharPiece) {
                int end = pos + charLength;
                float candidate = unkScore + tillHere;
                if (startsAt[end] == -1 || candidate > bestScore[end]) {
                    bestScore[end] = candidate;
                    startsAt[end] = pos;
                    bestId[end] = unkId;
                }
            }
            pos += charLength;
        }
        out.clear();
        int count = 0;
        for (int end = length; end > 0; end = startsAt[end]) {
            count++;
        }
        w.ensurePath(count);
        int k = count;
        for (int end = length; end > 0; end = startsAt[end]) {
            w.pathEnd[--k] = end;
        }
        for (int i = 0; i < count; i++) {
            int end = w.pathEnd[i];
            out.add(bestId[end], startsAt[end], end - startsAt[end]);
        }
    }

    /**
     * A trie over the chars of the pieces: node ids are ints, the root's children in a direct table (every
     * position starts there), deeper children found through one hash map.
     */
    private static final class CharTrie {
        static final int ROOT = 0;
        private final int[] rootChildren = new int[Character.MAX_VALUE + 1];
        private final LongIntHashMap children;
        private int[] values = new int[1024];
        private int nodeCount = 1;

        CharTrie(int pieceCount) {
            children = new LongIntHashMap(pieceCount * 4);
            Arrays.fill(values, -1);
            Arrays.fill(rootChildren, -1);
        }

        void add(String piece, int id) {
            int node = ROOT;
            for (int i = 0; i < piece.length(); i++) {
                int child = child(node, piece.charAt(i));
                if (child < 0) {
                    child = nodeCount++;
                    if (child == values.length) {
                        int old = values.length;
                        values = Arrays.copyOf(values, old * 2);
                        Arrays.fill(values, old, values.length, -1);
                    }
                    if (node == ROOT) {
                        rootChildren[piece.charAt(i)] = child;
                    } else {
                        children.put((long) node << 16 | piece.charAt(i), child);
                    }
                }
                node = child;
            }
            values[node] = id;
        }

        int child(int node, char c) {
            return node == ROOT ? rootChildren[c] : children.get((long) node << 16 | c, -1);
        }

        /** The piece id ending at this node, or -1. */
        int value(int node) {
            return values[node];
        }
    }

    /** Per-thread Viterbi arrays, indexed by char position. */
    private static final class Work {
        float[] bestScore = new float[0];
        int[] startsAt = new int[0];
        int[] bestId = new int[0];
        int[] pathEnd = new int[0];

        void reset(int length) {
            if (bestScore.length < length + 1) {
                int capacity = Math.max(length + 1, bestScore.length * 2);
                bestScore = new float[capacity];
                startsAt = new int[capacity];
                bestId = new int[capacity];
            }
            Arrays.fill(bestScore, 0, length + 1, 0f);
            Arrays.fill(startsAt, 0, length + 1, -1);
        }

        void ensurePath(int count) {
            if (pathEnd.length < count) {
                pathEnd = new int[Math.max(count, pathEnd.length * 2)];
            }
        }
    }
}
