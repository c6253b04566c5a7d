#!/usr/bin/python3
"""Makes SentencePiece reference encodings for twllm's tokenizer tests.

Run from this folder with Debian's SentencePiece (apt-get install python3-sentencepiece sentencepiece):
    /usr/bin/python3 make_reference.py

Writes:
  zh-tw-bpe-8k.more-encodings.jsonl    300 corpus texts, tricky strings and a long text, encoded by zh-tw-bpe-8k.model
  zh-tw-unigram-3k.model/.vocab        a small Unigram model (identity normalizer, byte fallback, split digits)
  zh-tw-unigram-3k.encodings.jsonl     the same texts encoded by it
  zh-tw-bpe-misc-3k.model/.vocab       a small BPE model exercising other paths: user-defined symbols,
                                       no byte fallback (unknown pieces), removal of extra whitespace
  zh-tw-bpe-misc-3k.encodings.jsonl    the same texts encoded by it
  zh-tw-unigram-nfkc-3k.model/.vocab   a small Unigram model with SentencePiece's default nmt_nfkc normalizer
                                       (a precompiled character map), no byte fallback
  zh-tw-unigram-nfkc-3k.encodings.jsonl  the same texts encoded by it
  <model>.decodings.jsonl              {"ids", "text"}: SentencePiece's decoding of 200 random id sequences
Encodings lines also carry "decoded", SentencePiece's decoding of the ids.
Each encodings line is {"text": ..., "ids": [...]} with ids from SentencePiece's encode (no BOS/EOS).
The texts are drawn with a fixed seed, and models are trained with one thread, so reruns give the same files.
"""
import json
import os
import random
import tempfile

import sentencepiece as spm

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "..", "corpus")

TRICKY = [
    "",
    " ",
    "   ",
    "\n",
    "\n\n\n",
    "a",
    "Hello, world!",
    "  leading spaces",
    "trailing spaces   ",
    "multiple    spaces   inside  text",
    "tabs\tand\r\nwindows newlines\n",
    "台灣大學的學生在 2023 年 12 月 31 日參加了 AI 研討會。",
    "Taiwan-LLM 是一個繁體中文的語言模型，支援 Llama-2 架構。",
    "價格是 NT$1,234,567.89 元，折扣 15%。",
    "3.14159265358979323846264338327950288419716939937510",
    "電話：02-2345-6789，分機 #123",
    "emoji: 😀🎉👍🏽 and family 👨‍👩‍👧‍👦",
    "罕見字：𠀀𠀁𪚥𡃁𨭎 與 々〆〇",
    "日本語のテキスト：ひらがなとカタカナ。",
    "한국어 텍스트도 있습니다.",
    "Русский текст и ελληνικά.",
    "عربي نص مع أرقام ١٢٣",
    "combining: e\u0301 a\u0308 n\u0303",
    "fullwidth：ＡＢＣ１２３　全形空白",
    "\u3000\u3000兩個全形空白開頭",
    "literal specials: <s> </s> <unk> <0xE5> ▁ ▁▁",
    "control chars: \u0001\u0002\u007f and zero width\u200bspace",
    "<|user|>你好<|assistant|>您好，有什麼可以幫忙的嗎？</s>",
    "USER: 請介紹台北 101。 ASSISTANT: 台北 101 是一棟摩天大樓。",
    "def f(x):\n    return x ** 2  # 平方\n",
    "{\"key\": [1, 2, 3], \"值\": null}",
    "ＡＩ 與 ai 與 Ａｉ",
    "a" * 200,
    "哈" * 120,
    " ".join(["word"] * 50),
    "簡體字：学习、说话、国家、爱情。",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 math 𝐀𝐁𝐂 and musical 𝄞",
    "NFKC: ﬁ ﬂ ① ㈱ ㍻ ｶﾀｶﾅ ¼ x² Ⅻ ™ …",
    "spaces:\u00a0nbsp\u2003em\u200bzwsp\u3000ideo\ttab  \n end",
]


def corpus_texts(count, seed):
    rng = random.Random(seed)
    texts = []
    for name in ("tang-poems.zh-Hant.jsonl", "lunyu.zh-Hans.jsonl"):
        with open(os.path.join(CORPUS, name), encoding="utf-8") as f:
            texts.extend(json.loads(line)["text"] for line in f)
    picked = rng.sample(texts, count)
    # Some slices mid-text, so texts also start and end inside words and lines.
    out = []
    for t in picked:
        if rng.random() < 0.3 and len(t) > 20:
            a = rng.randrange(0, len(t) // 2)
            b = rng.randrange(a + 1, len(t))
            t = t[a:b]
        out.append(t)
    return out


def write_encodings(model_path, texts, out_path):
    sp = spm.SentencePieceProcessor(model_file=model_path)
    with open(out_path, "w", encoding="utf-8") as f:
        for t in texts:
            ids = sp.encode(t)
            f.write(json.dumps({"text": t, "ids": ids, "decoded": sp.decode(ids)}, ensure_ascii=False) + "\n")


def write_decodings(model_path, out_path, count=200, seed=11):
    """Random id sequences (biased to byte, control and space pieces) and SentencePiece's decoding of each."""
    sp = spm.SentencePieceProcessor(model_file=model_path)
    rng = random.Random(seed)
    n = sp.get_piece_size()
    special = [i for i in range(n) if sp.is_byte(i) or sp.is_control(i) or sp.is_unknown(i)
               or sp.id_to_piece(i).startswith("\u2581")]
    with open(out_path, "w", encoding="utf-8") as f:
        for _ in range(count):
            ids = [rng.choice(special) if rng.random() < 0.5 else rng.randrange(n) for _ in range(rng.randrange(0, 12))]
            f.write(json.dumps({"ids": ids, "text": sp.decode(ids)}, ensure_ascii=False) + "\n")


def train(prefix, **options):
    spm.SentencePieceTrainer.train(model_prefix=os.path.join(HERE, prefix), num_threads=1, **options)


def long_text():
    """About 5,000 chars of poems in one text: exercises long merge agendas (and twllm's cutting of long texts)."""
    with open(os.path.join(CORPUS, "tang-poems.zh-Hant.jsonl"), encoding="utf-8") as f:
        poems = [json.loads(next(f))["text"] for _ in range(40)]
    return " ".join(p.replace("\n", "  ") for p in poems)


def main():
    texts = corpus_texts(300, seed=20231201) + TRICKY + [long_text()]
    write_encodings(os.path.join(HERE, "zh-tw-bpe-8k.model"), texts, os.path.join(HERE, "zh-tw-bpe-8k.more-encodings.jsonl"))

    # A fixed path: the trainer records it in the model, so a fixed one keeps the model bytes reproducible.
    train_file = os.path.join(tempfile.gettempdir(), "twllm-make-reference-train.txt")
    with open(train_file, "w", encoding="utf-8") as f:
        for t in corpus_texts(800, seed=7) + TRICKY:
            f.write(t.replace("\n", " ") + "\n")
    train("zh-tw-unigram-3k", input=train_file, model_type="unigram", vocab_size=3000,
          normalization_rule_name="identity", add_dummy_prefix=True, remove_extra_whitespaces=False,
          byte_fallback=True, split_digits=True, allow_whitespace_only_pieces=True,
          character_coverage=0.98, user_defined_symbols=["<|user|>", "<|assistant|>"])
    train("zh-tw-bpe-misc-3k", input=train_file, model_type="bpe", vocab_size=3000,
          normalization_rule_name="identity", remove_extra_whitespaces=True, byte_fallback=False,
          character_coverage=0.98, user_defined_symbols=["<|user|>", "<|assistant|>", "台北"])
    train("zh-tw-unigram-nfkc-3k", input=train_file, model_type="unigram", vocab_size=3000,
          normalization_rule_name="nmt_nfkc", character_coverage=0.98)
    os.remove(train_file)
    for prefix in ("zh-tw-unigram-3k", "zh-tw-bpe-misc-3k", "zh-tw-unigram-nfkc-3k"):
        write_encodings(os.path.join(HERE, prefix + ".model"), texts, os.path.join(HERE, prefix + ".encodings.jsonl"))
    for prefix in ("zh-tw-bpe-8k", "zh-tw-unigram-3k", "zh-tw-bpe-misc-3k", "zh-tw-unigram-nfkc-3k"):
        write_decodings(os.path.join(HERE, prefix + ".model"), os.path.join(HERE, prefix + ".decodings.jsonl"))


if __name__ == "__main__":
    main()
