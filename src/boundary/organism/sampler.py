"""A batched KV-cache sampler for tiny Qwen2 checkpoints on CPU.

Why not ``model.generate``: for a 0.5M-parameter model the work per token is tiny, so the cost is
per-call overhead (masks, cache concatenation, logits processors, one ``torch.Generator`` per row).
This sampler reads the weights of a ``Qwen2ForCausalLM`` and runs the same arithmetic with a
preallocated cache, one prefill per distinct prompt, and finished rows dropped from the batch
(``bench/bench_organism_sampler.py`` measures it against ``generate`` and vLLM;
``tests/test_organism.py`` checks its logits against the transformers forward).

Randomness is counter-based: the token of row ``i`` at step ``t`` is drawn with a uniform number
that is a hash of (the row's seed, t), so a sample depends on its prompt and seed only, never on
which other rows share the batch (the property ``Backend.generate`` promises).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

_M32 = 0xFFFFFFFF


def _mix32(x: torch.Tensor) -> torch.Tensor:
    """A 32-bit integer hash (lowbias32) on int64 tensors holding values in [0, 2^32)."""
    x = x & _M32
    x = x ^ (x >> 16)
    x = (x * 0x7FEB352D) & _M32
    x = x ^ (x >> 15)
    x = (x * 0x846CA68B) & _M32
    return x ^ (x >> 16)


def uniforms(seeds: torch.Tensor, step: int) -> torch.Tensor:
    """One uniform in (0, 1) per row, a pure function of (seed, step)."""
    lo = seeds & _M32
    hi = (seeds >> 32) & _M32
    h = _mix32(lo ^ _mix32(hi + 0x9E3779B9))
    h = _mix32(h ^ _mix32(torch.full_like(h, (step * 0x85EBCA6B + 0x27D4EB2F) & _M32)))
    return ((h >> 8).double() + 0.5) / float(1 << 24)


@dataclass(frozen=True)
class Sample:
    tokens: tuple[int, ...]
    """Generated token ids, without the end-of-sequence token."""
    finished: bool
    """True when the model emitted end-of-sequence; False when max_new_tokens ran out."""
    logprob: float
    """Sum of the generated tokens' log-probabilities under the model (temperature 1)."""
    token_logprobs: tuple[float, ...] = ()
    """Each generated token's log-probability (the end-of-sequence token's last, when finished)."""


class TinySampler:
    """Sample from a ``Qwen2ForCausalLM`` (float32 copy of its weights; the model is not kept)."""

    def __init__(self, model, *, eos_id: int, image_token_id: int | None = None):
        cfg = model.config
        self.eos_id = int(eos_id)
        self.image_token_id = image_token_id
        self.heads = cfg.num_attention_heads
        self.kv_heads = cfg.num_key_value_heads
        self.head_dim = getattr(cfg, "head_dim", None) or cfg.hidden_size // cfg.num_attention_heads
        self.eps = cfg.rms_norm_eps
        self.scale = self.head_dim ** -0.5
        rope = getattr(cfg, "rope_parameters", None) or {}
        theta = rope.get("rope_theta", getattr(cfg, "rope_theta", 10000.0))
        if rope.get("rope_type", "default") != "default":
            raise ValueError(f"TinySampler supports default RoPE only, not {rope.get('rope_type')!r}.")
        self.max_pos = cfg.max_position_embeddings
        inv = 1.0 / (theta ** (torch.arange(0, self.head_dim, 2, dtype=torch.float32) / self.head_dim))
        freqs = torch.outer(torch.arange(self.max_pos, dtype=torch.float32), inv)
        emb = torch.cat([freqs, freqs], dim=-1)
        self.cos, self.sin = emb.cos(), emb.sin()
        m = model.model
        f = lambda t: t.detach().float().clone()   # noqa: E731
        self.embed = f(m.embed_tokens.weight)
        self.lm_head = f(model.lm_head.weight)
        self.norm = f(m.norm.weight)
        self.layers = []
        for layer in m.layers:
            a, mlp = layer.self_attn, layer.mlp
            self.layers.append(dict(
                ln1=f(layer.input_layernorm.weight), ln2=f(layer.post_attention_layernorm.weight),
                wqkv=torch.cat([f(a.q_proj.weight), f(a.k_proj.weight), f(a.v_proj.weight)]).T.contiguous(),
                bqkv=torch.cat([f(a.q_proj.bias), f(a.k_proj.bias), f(a.v_proj.bias)]),
                wo=f(a.o_proj.weight).T.contiguous(),
                wgu=torch.cat([f(mlp.gate_proj.weight), f(mlp.up_proj.weight)]).T.contiguous(),
                wd=f(mlp.down_proj.weight).T.contiguous()))

    # -- the forward pass ---------------------------------------------------------------------------

    def _rms(self, x, w):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * w

    def _rope(self, x, cos, sin):
        h = x.shape[-1] // 2
        rot = torch.cat([-x[..., h:], x[..., :h]], dim=-1)
        return x * cos + rot * sin

    def _step(self, x, pos, caches, length, valid, h=None):
        """One forward over new tokens ``x`` [B, T] at positions ``pos`` [B, T].

        ``caches``: per layer (K, V) of shape [B, kv, cap, hd]; the new keys go to columns
        ``length .. length+T-1``; ``valid`` [B, length+T] marks columns a row may attend to.
        ``h``: the input embeddings [B, T, C] when given (a prompt with image features), else looked up.
        Returns logits of the last new token [B, V].
        """
        B, T = x.shape
        H, KV, D = self.heads, self.kv_heads, self.head_dim
        if h is None:
            h = self.embed[x]                                   # B T C
        cos, sin = self.cos[pos].unsqueeze(1), self.sin[pos].unsqueeze(1)   # B 1 T D
        end = length + T
        causal = None
        if T > 1:
            causal = torch.ones(T, T, dtype=torch.bool).tril()
        mask = valid[:, None, None, :end].expand(B, 1, T, end)
        if causal is not None:
            mask = mask.clone()
            mask[:, :, :, length:end] &= causal
            # a padding position attends to itself only (never an all-masked row, which gives NaN)
            ar = torch.arange(T)
            mask[:, :, ar, length + ar] = True
        for L, (K, V) in zip(self.layers, caches):
            y = self._rms(h, L["ln1"]) @ L["wqkv"] + L["bqkv"]
            q = y[..., :H * D].view(B, T, H, D).transpose(1, 2)
            k = y[..., H * D:(H + KV) * D].view(B, T, KV, D).transpose(1, 2)
            v = y[..., (H + KV) * D:].view(B, T, KV, D).transpose(1, 2)
            q, k = self._rope(q, cos, sin), self._rope(k, cos, sin)
            K[:, :, length:end] = k
            V[:, :, length:end] = v
            kk, vv = K[:, :, :end], V[:, :, :end]
            if T == 1 and KV == 1:
                # decode: one query per row; broadcasting the single kv head avoids copying the cache
                qh = q.reshape(B, 1, H, D)                               # the heads as query rows
                sc = (qh @ kk.transpose(-1, -2)) * self.scale           # B 1 H end
                sc = sc.masked_fill(~mask, float("-inf"))
                o = (torch.softmax(sc, dim=-1) @ vv).reshape(B, H, 1, D)
            else:
                o = torch.nn.functional.scaled_dot_product_attention(q, kk, vv, attn_mask=mask,
                                                                     enable_gqa=KV != H)
            h = h + o.transpose(1, 2).reshape(B, T, H * D) @ L["wo"]
            g = self._rms(h, L["ln2"]) @ L["wgu"]
            a, b = g.chunk(2, dim=-1)
            h = h + (torch.nn.functional.silu(a) * b) @ L["wd"]
        return self._rms(h[:, -1], self.norm) @ self.lm_head.T

    @torch.inference_mode()
    def logits(self, ids: Sequence[int]) -> torch.Tensor:
        """Next-token logits after every prefix of ``ids`` (for tests against transformers)."""
        out = []
        for t in range(1, len(ids) + 1):
            x = torch.tensor([list(ids[:t])])
            caches = self._new_caches(1, t)
            out.append(self._step(x, torch.arange(t)[None], caches, 0, torch.ones(1, t, dtype=torch.bool))[0])
        return torch.stack(out)

    def _new_caches(self, B, cap):
        return [(torch.zeros(B, self.kv_heads, cap, self.head_dim), torch.zeros(B, self.kv_heads, cap, self.head_dim))
                for _ in self.layers]

    # -- sampling -----------------------------------------------------------------------------------

    @torch.inference_mode()
    def sample(self, prompts: Sequence[Sequence[int]], seeds: Sequence[int], *, max_new_tokens: int,
               temperature: float = 1.0, top_p: float = 1.0, compact_at: float = 0.25,
               images: Sequence[torch.Tensor | None] | None = None) -> list[Sample]:
        """One sample per (prompt, seed) row. Rows with equal prompts (and images) share one prefill.

        ``temperature=0`` is greedy. ``top_p < 1`` keeps the smallest set of tokens whose
        probability reaches ``top_p``. ``images`` (a vision-language model's language part, built
        with ``image_token_id``): per row, the image's features [tokens, C] that replace the
        prompt's ``image_token_id`` positions in order (the same tensor object for rows that share
        an image), or None.
        """
        if len(prompts) != len(seeds):
            raise ValueError(f"{len(prompts)} prompts but {len(seeds)} seeds: give one seed per row.")
        if not prompts:
            return []
        rows = len(prompts)
        distinct: dict[tuple, int] = {}
        feats: list[torch.Tensor | None] = []
        which = []
        for i, p in enumerate(prompts):
            img = images[i] if images is not None else None
            key = (tuple(p), id(img) if img is not None else None)
            if key not in distinct:
                distinct[key] = len(distinct)
                feats.append(img)
            which.append(distinct[key])
        plist = [k[0] for k in distinct]
        P = max(map(len, plist))
        if P + max_new_tokens > self.max_pos:
            raise ValueError(f"prompt ({P} tokens) + max_new_tokens ({max_new_tokens}) exceeds the model's "
                             f"{self.max_pos} positions; lower max_new_tokens.")
        cap = P + max_new_tokens
        # prefill each distinct prompt (right-aligned at column P), then copy its cache to its rows
        pre = self._new_caches(len(plist), cap)
        valid_p = torch.zeros(len(plist), cap, dtype=torch.bool)
        lens = torch.tensor([len(p) for p in plist])
        x = torch.full((len(plist), P), self.eos_id, dtype=torch.long)
        for i, p in enumerate(plist):
            x[i, P - len(p):] = torch.tensor(p, dtype=torch.long)
            valid_p[i, P - len(p):P] = True
        pos = (torch.arange(P)[None] - (P - lens)[:, None]).clamp(min=0)
        h = None
        if any(f is not None for f in feats):
            h = self.embed[x].clone()
            for i, f in enumerate(feats):
                if f is not None:
                    at = torch.as_tensor(x[i] == self.image_token_id)
                    if int(at.sum()) != f.shape[0]:
                        raise ValueError(f"prompt {i} holds {int(at.sum())} image tokens for {f.shape[0]} image "
                                         "features.")
                    h[i, at] = f.float()
        last = self._step(x, pos, pre, 0, valid_p, h)
        idx = torch.tensor(which)
        caches = [(K[idx].contiguous(), V[idx].contiguous()) for K, V in pre]
        valid = valid_p[idx].contiguous()
        logits = last[idx]
        next_pos = lens[idx].clone()
        seed_t = torch.tensor([int(s) & ((1 << 63) - 1) for s in seeds], dtype=torch.long)
        alive = torch.arange(rows)                  # global row of each batch row
        done_b = torch.zeros(rows, dtype=torch.bool)  # batch rows already finished (riding along)
        out_tokens = torch.full((rows, max_new_tokens), -1, dtype=torch.long)
        finished = torch.zeros(rows, dtype=torch.bool)
        logprob = torch.zeros(rows, dtype=torch.float64)
        tok_lp = torch.zeros(rows, max_new_tokens)
        for t in range(max_new_tokens):
            lp = torch.log_softmax(logits.float(), dim=-1)
            if temperature == 0:
                tok = lp.argmax(-1)
            else:
                probs = torch.softmax(logits.float() / temperature, dim=-1)
                if top_p < 1.0:
                    sp, order = probs.sort(dim=-1, descending=True)
                    keep = sp.cumsum(-1) - sp < top_p
                    probs = torch.zeros_like(probs).scatter(-1, order, sp * keep)
                cum = probs.double().cumsum(-1)
                u = uniforms(seed_t[alive], t) * cum[:, -1]
                tok = torch.searchsorted(cum, u[:, None]).squeeze(1).clamp(max=probs.shape[-1] - 1)
            live = ~done_b
            rows_live = alive[live]
            out_tokens[rows_live, t] = tok[live]
            step_lp = lp[live].gather(1, tok[live][:, None]).squeeze(1)
            tok_lp[rows_live, t] = step_lp
            logprob[rows_live] += step_lp.double()
            newly = live & (tok == self.eos_id)
            finished[alive[newly]] = True
            done_b |= newly
            if t == max_new_tokens - 1 or bool(done_b.all()):
                break
            if done_b.float().mean() >= compact_at:      # drop finished rows from the batch
                keep = ~done_b
                alive, tok, next_pos, valid = alive[keep], tok[keep], next_pos[keep], valid[keep]
                caches = [(K[keep], V[keep]) for K, V in caches]
                done_b = done_b[keep]
            col = P + t
            valid[:, col] = True
            logits = self._step(tok[:, None], next_pos[:, None], caches, col, valid)
            next_pos = next_pos + 1
        samples = []
        for i in range(rows):
            row = out_tokens[i]
            toks = row[row >= 0].tolist()
            lps = tok_lp[i, :len(toks)].tolist()
            fin = bool(finished[i])
            if fin:
                toks = toks[:toks.index(self.eos_id)]
            samples.append(Sample(tuple(toks), fin, float(logprob[i]), tuple(lps)))
        return samples
