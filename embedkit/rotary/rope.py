"""The :class:`RoPE` object: frequencies (scaled or not), a cos/sin cache, and ``rotate(x, positions)``.

It puts the steps of the *implementation* page together: :func:`~embedkit.rotary.frequencies.cos_sin` over
the (scaled, :mod:`embedkit.rotary.scaling`) frequencies, kept in a :class:`~embedkit.rotary.cache.CosSinCache`,
applied by :func:`~embedkit.rotary.kernel.apply` in either channel layout. :meth:`RoPE.from_config` builds one
from a Hugging Face configuration (:mod:`embedkit.rotary.hugging_face`). RoPE is also the ``"rope"`` position
scheme of the lab (registered in :data:`embedkit.positions.POSITION_SCHEMES`): it transforms queries and keys.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch

from .. import checks
from ..positions import ModelShape, Option, PositionScheme, as_positions, register_scheme
from .cache import CosSinCache
from .frequencies import MAX_POSITIONS, check_dtype, cos_sin, rotary_dim
from .hugging_face import config_values, rope_arguments
from .kernel import apply
from .layouts import check_layout
from .scaling import SCALINGS, check_scaling, scaled_inverse_frequencies

__all__ = ["RoPE"]


class RoPE:
    """Rotary position embedding with a cos/sin cache: ``rope.rotate(x, positions)``.

    Args:
        head_dim: channels per head (even).
        base: the base of the frequencies ``θ_i = base**(-2i/d)`` (``rope_theta``): 10,000 in RoFormer and
            Llama 2, 500,000 in Llama 3.
        layout: ``"half"`` (Hugging Face, GPT-NeoX) or ``"interleaved"`` (Meta, GPT-J).
        rotary_fraction: rotate only the first ``int(head_dim·fraction)`` channels, with frequencies computed
            over that sub-dimension (GPT-NeoX ``rotary_pct``); the rest pass through.
        max_positions: positions must be below it (at most :data:`~embedkit.rotary.frequencies.MAX_POSITIONS`). Nothing is allocated for
            it up front: the cache grows on demand, in steps of :data:`~embedkit.rotary.cache.CACHE_CHUNK` positions, to the longest
            position seen, and keeps at most :data:`~embedkit.rotary.cache.CACHE_ELEMENTS` entries; positions beyond that are
            computed per call. ``RoPE(8, max_positions=10**9)`` therefore costs nothing until it is used.
        scaling: context extension, a dict with Hugging Face ``rope_parameters`` keys, e.g.
            ``{"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 4096}``
            (see :mod:`embedkit.rotary.scaling`). To build from a configuration as Hugging Face stores it, use
            :meth:`from_rope_parameters` or :meth:`from_config`.

    Attributes: ``inv_freq`` (float64 ``(pairs,)``), ``attention_factor`` (float), ``cos`` and ``sin``
    (float32 ``(max_positions, pairs)``, including the attention factor; built on first access). With
    ``dynamic`` scaling the frequencies depend on the sequence length (``max(positions) + 1``); they are
    recomputed per call beyond the original length (Hugging Face instead keeps the largest length seen so far).
    """

    def __init__(self, head_dim: int, *, base: float = 10000.0, layout: str = "half", rotary_fraction: float = 1.0,
                 max_positions: int = 4096, scaling: Mapping | None = None):
        self.rotary_dim = rotary_dim(head_dim, rotary_fraction)
        check_layout(layout)
        self.max_positions = checks.integer("max_positions", max_positions, minimum=1, maximum=MAX_POSITIONS)
        self.head_dim = int(head_dim)
        self.base = checks.real("base", base, minimum=1, open_min=True)
        self.layout = layout
        self.rotary_fraction = float(rotary_fraction)
        self.scaling = check_scaling(scaling)
        self._scaling = SCALINGS[self.scaling["rope_type"]]  # its registry entry: what it depends on
        if self._scaling.owns_partial_rotary and self.rotary_fraction != 1.0:
            raise ValueError(f"{self._scaling.name} scaling chooses the turning pairs itself (its partial_rotary_factor); "
                             f"give rotary_fraction=1.0, got {rotary_fraction!r}")
        self.inv_freq, self.attention_factor = scaled_inverse_frequencies(self.rotary_dim, self.base, self.scaling)
        self._cache = CosSinCache(self.inv_freq, self.attention_factor, self.max_positions)

    @classmethod
    def from_rope_parameters(cls, head_dim: int, rope_parameters: Mapping | None, *, max_position_embeddings: int | None = None,
                             original_max_position_embeddings: int | None = None,
                             partial_rotary_factor: float | None = None, rope_theta: float | None = None,
                             layout: str = "half", max_positions: int | None = None) -> RoPE:
        """Build from a Hugging Face ``config.rope_parameters`` (or legacy ``config.rope_scaling``) dict.

        The dict is read exactly as transformers reads it (:func:`embedkit.rotary.hugging_face.from_hugging_face`:
        legacy ``type`` key, LongRoPE's and YaRN's derived ``factor``, dynamic NTK's original length from
        ``max_position_embeddings``). The model-level values come as keywords named as in ``config.json``:
        ``max_position_embeddings``, a top-level ``original_max_position_embeddings`` (Phi-3),
        ``partial_rotary_factor`` and ``rope_theta`` (older configs keep them outside the dict; the dict's
        win). ``max_positions`` defaults to ``max(4096, max_position_embeddings)``. :meth:`from_config`
        reads all of them from a configuration object.
        """
        return cls(head_dim, layout=layout, **rope_arguments(
            rope_parameters, max_position_embeddings=max_position_embeddings,
            original_max_position_embeddings=original_max_position_embeddings,
            partial_rotary_factor=partial_rotary_factor, rope_theta=rope_theta, max_positions=max_positions))

    @classmethod
    def from_config(cls, config, *, layout: str = "half", max_positions: int | None = None) -> RoPE:
        """Build from a Hugging Face configuration (a ``PretrainedConfig`` or its ``config.json`` as a dict).

        Reads ``head_dim`` (or ``hidden_size // num_attention_heads``), ``rope_parameters`` (or
        ``rope_scaling``), ``rope_theta``, ``partial_rotary_factor``, ``max_position_embeddings`` and
        ``original_max_position_embeddings``, and passes them to :meth:`from_rope_parameters`. Nothing is
        downloaded and ``transformers`` need not be installed.
        """
        head_dim, params, model = config_values(config)
        return cls.from_rope_parameters(head_dim, params, layout=layout, max_positions=max_positions, **model)

    @property
    def pairs(self) -> int:
        return self.rotary_dim // 2

    def __repr__(self) -> str:
        kind = self.scaling["rope_type"]
        extra = "" if kind == "default" else f", scaling={kind!r}"
        part = "" if self.rotary_dim == self.head_dim else f", rotary_dim={self.rotary_dim}"
        return f"RoPE(head_dim={self.head_dim}, base={self.base:g}, layout={self.layout!r}{part}, max_positions={self.max_positions}{extra})"

    # -- the cache ---------------------------------------------------------------------------------------

    @property
    def cached_positions(self) -> int:
        """How many positions the cos/sin cache holds now (it grows on demand)."""
        return self._cache.rows

    @property
    def cos(self) -> torch.Tensor:
        """float32 ``(max_positions, pairs)``: ``attention_factor·cos(mθ_i)`` for every position (grows the cache)."""
        return self._cache.table()[0]

    @property
    def sin(self) -> torch.Tensor:
        """float32 ``(max_positions, pairs)``: ``attention_factor·sin(mθ_i)`` for every position (grows the cache)."""
        return self._cache.table()[1]

    def frequencies(self, seq_len: int | None = None) -> tuple[torch.Tensor, float]:
        """``(inv_freq, attention_factor)`` in use for a sequence of ``seq_len`` positions."""
        if seq_len is not None:
            seq_len = checks.integer("seq_len", seq_len, minimum=0)
        if self._scaling.length_dependent and seq_len is not None:
            return scaled_inverse_frequencies(self.rotary_dim, self.base, self.scaling, seq_len=seq_len)
        return self.inv_freq, self.attention_factor

    def _length_dependent(self, seq_len: int) -> bool:
        return self._scaling.length_dependent and seq_len > self.scaling["original_max_position_embeddings"]

    def cos_sin(self, positions=None, *, seq_len: int | None = None, offset: int = 0,
                dtype: torch.dtype = torch.float32, device: torch.device | str | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """cos and sin for ``positions`` (LongTensor ``(seq,)``; or ``range(offset, offset + seq_len)``): ``(seq, pairs)`` each."""
        check_dtype(dtype)
        offset = checks.integer("offset", offset, minimum=0)
        if positions is None:
            if seq_len is None:
                raise ValueError("give positions, or seq_len (and optionally offset)")
            seq_len = checks.integer("seq_len", seq_len, minimum=0)
            last = offset + seq_len
            contiguous = True
        else:
            positions = as_positions(positions)
            last = int(positions.max()) + 1 if positions.numel() else 0
            # consecutive positions (the usual case) are a slice of the cache: no gather, no new tensor
            contiguous = positions.numel() > 0 and last - int(positions[0]) == positions.numel() and bool((positions.diff() == 1).all())
            if contiguous:
                offset = int(positions[0])
        if last > self.max_positions:
            raise ValueError(
                f"position {last - 1} is beyond the cos/sin cache (max_positions={self.max_positions}); "
                f"build RoPE(..., max_positions={last}) or more"
            )
        device = torch.device(device) if device is not None else torch.device("cpu")
        if self._length_dependent(last) or last > self._cache.limit:
            # frequencies that depend on the length, or positions past what is kept: computed for this call
            inv_freq, factor = self.frequencies(last) if self._length_dependent(last) else (self.inv_freq, self.attention_factor)
            pos = torch.arange(offset, last) if contiguous else positions.cpu()
            cos, sin = cos_sin(pos, inv_freq, attention_factor=factor, dtype=dtype)
            return cos.to(device), sin.to(device)
        return self._cache.lookup(None if contiguous else positions, offset, last, dtype=dtype, device=device)

    def rotate(self, x: torch.Tensor, positions=None, *, offset: int = 0, out: torch.Tensor | None = None) -> torch.Tensor:
        """Rotate ``x`` ``(..., seq, head_dim)`` for ``positions`` (LongTensor ``(seq,)``).

        Without ``positions`` the tokens sit at ``offset, offset + 1, …`` (``offset`` = tokens already in a
        KV cache). Returns a new tensor of ``x``'s dtype (``out=x`` rotates in place).
        """
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"x must be a torch.Tensor of shape (..., seq, head_dim), got {checks.describe(x)}")
        if x.dim() < 2 or x.shape[-1] != self.head_dim:
            raise ValueError(f"x must have shape (..., seq, {self.head_dim}) for this RoPE, got {tuple(x.shape)}")
        if not x.dtype.is_floating_point:
            raise TypeError(f"x must be a floating-point tensor, got dtype {x.dtype}")
        seq = x.shape[-2]
        if positions is not None:
            positions = as_positions(positions)
            if positions.shape[0] != seq:
                raise ValueError(f"got {positions.shape[0]} positions for a sequence of {seq} (x has shape {tuple(x.shape)})")
        cos, sin = self.cos_sin(positions, seq_len=seq, offset=offset, dtype=x.dtype, device=x.device)
        return apply(x, cos, sin, layout=self.layout, out=out)

    __call__ = rotate


# -- RoPE as a position scheme of the lab ----------------------------------------------------------------

def _lab_rope(shape: ModelShape, options: Mapping) -> RoPE:
    if shape.head_dim % 2:
        raise ValueError(f"RoPE needs an even head_dim, got d_model / n_heads = {shape.head_dim}")
    return RoPE(shape.head_dim, base=options["rope_base"])


register_scheme(PositionScheme(
    "rope", adds_to="qk", summary="rotation of queries and keys by position (Su et al., 2021)", build=_lab_rope,
    options={"rope_base": Option(10000.0, lambda name, v: checks.real(name, v, minimum=1, open_min=True))}))
