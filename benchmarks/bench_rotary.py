"""RoPE on CPU, float32, q (1, 32, 2048, 128) and k (1, 8, 2048, 128) (Llama-3-8B-sized heads, grouped keys).

Peers timed in the same run: Hugging Face's eager ``apply_rotary_pos_emb`` (Llama) with its cos/sin already
computed, and a plain ``copy_`` of q and k into preallocated tensors: the floor for anything that reads q and
k once and writes them once. Targets: at least 4× faster than HF eager and within 3× of the
copy. Ours is timed three ways: allocating a new output (like HF), writing into a preallocated ``out=``
(like the copy), and in place.
"""

from __future__ import annotations

import os

import torch

from benchmarks.harness import Benchmark


def main() -> None:
    from transformers.models.llama.modeling_llama import apply_rotary_pos_emb

    from embedkit.rotary import RoPE, apply

    torch.set_num_threads(2)
    torch.manual_seed(0)
    seq, head_dim = 2048, 128
    q = torch.randn(1, 32, seq, head_dim)
    k = torch.randn(1, 8, seq, head_dim)
    positions = torch.arange(seq)
    rope = RoPE(head_dim, max_positions=seq)
    cos, sin = rope.cos_sin(positions)
    hf_cos, hf_sin = torch.cat([cos, cos], -1)[None], torch.cat([sin, sin], -1)[None]  # HF's (batch, seq, head_dim)

    # Same numbers before timing anything.
    hq, hk = apply_rotary_pos_emb(q, k, hf_cos, hf_sin)
    torch.testing.assert_close(rope.rotate(q, positions), hq)
    torch.testing.assert_close(rope.rotate(k, positions), hk)
    del hq, hk

    bench = Benchmark("rotary", "RoPE apply, CPU fp32, q (1,32,2048,128) + k (1,8,2048,128): embedkit vs HF eager and copy_")
    q_out, k_out = torch.empty_like(q), torch.empty_like(k)
    q_work, k_work = q.clone(), k.clone()

    copy = bench.time("copy_ of q and k (preallocated)", lambda: (q_out.copy_(q), k_out.copy_(k)), repeats=21, peer=True)
    hf = bench.time("HF apply_rotary_pos_emb (eager)", lambda: apply_rotary_pos_emb(q, k, hf_cos, hf_sin), repeats=9, peer=True)
    ours = bench.time("embedkit RoPE.rotate (new output)", lambda: (rope.rotate(q, positions), rope.rotate(k, positions)), repeats=21)
    ours_out = bench.time("embedkit apply(out=preallocated)",
                          lambda: (apply(q, cos, sin, out=q_out), apply(k, cos, sin, out=k_out)), repeats=21)
    ours_inplace = bench.time("embedkit apply(out=x) in place",
                              lambda: (apply(q_work, cos, sin, out=q_work), apply(k_work, cos, sin, out=k_work)), repeats=21)

    bench.compare("vs HF eager (both allocate)", ours, hf, target=">= 4x", min_speedup=4.0)
    bench.compare("vs copy_ (both write preallocated)", ours_out, copy, target=">= 0.33x (within 3x of the copy time)",
                  min_speedup=1 / 3, note="ratio = copy time / our time")
    bench.compare("new output vs copy_", ours, copy, target="(for information)",
                  note="includes allocating and first-touching 42 MB of output")
    bench.compare("in place vs copy_", ours_inplace, copy, target="(for information)")
    bench.extra = {"torch": torch.__version__, "threads": torch.get_num_threads(),
                   # PyTorch's transparent-huge-page allocator makes fresh outputs (ours and HF's) much cheaper here
                   "THP_MEM_ALLOC_ENABLE": os.environ.get("THP_MEM_ALLOC_ENABLE", "")}
    bench.write()


if __name__ == "__main__":
    main()
