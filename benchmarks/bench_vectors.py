"""Loading GloVe and querying neighbours: embedkit.Vectors against gensim's KeyedVectors, same vectors."""

from __future__ import annotations

import numpy as np

from benchmarks.harness import Benchmark


def main() -> None:
    from gensim.models import KeyedVectors

    from embedkit import data

    bench = Benchmark("vectors", "GloVe 6B 50-d: load, most_similar and analogy queries vs gensim KeyedVectors")

    def load_ours():
        data.glove.cache_clear()
        return data.glove()

    load = bench.time("embedkit data.glove() (mmap + parquet index)", load_ours, repeats=3)
    glove = data.glove()

    def load_gensim():
        kv = KeyedVectors(vector_size=glove.dim)
        kv.add_vectors(glove.words, np.asarray(glove.vectors))
        return kv

    gload = bench.time("gensim KeyedVectors.add_vectors (from the same arrays)", load_gensim, repeats=3, peer=True)
    bench.compare("load", load, gload, target="under 3 s", note="gensim is handed arrays already in memory")
    kv = load_gensim()
    glove.unit, kv.fill_norms()  # both caches warm: we time queries, not normalisation

    words = ["frog", "king", "paris", "computer", "music", "river", "doctor", "apple"]
    ours = bench.time("embedkit most_similar, 8 words", lambda: [glove.most_similar(w) for w in words])
    peer = bench.time("gensim most_similar, 8 words", lambda: [kv.most_similar(w) for w in words], peer=True)
    bench.compare("most_similar", ours, peer, target=">= 1x gensim", min_speedup=1.0)

    q = dict(positive=["king", "woman"], negative=["man"])
    ours = bench.time("embedkit analogy king-man+woman", lambda: glove.most_similar(**q))
    peer = bench.time("gensim analogy king-man+woman", lambda: kv.most_similar(**q), peer=True)
    bench.compare("analogy query", ours, peer, target=">= 1x gensim", min_speedup=1.0)
    bench.write()


if __name__ == "__main__":
    main()
