"""SASRec: a small causal self-attention next-item model, trained on CPU with torch.

Fitted from chronological histories only: every prefix of a history predicts the item that
follows it inside the same history (cross-entropy against 2,048 shared negatives drawn by
popularity^0.5 and logQ-corrected, or against all items; item embeddings tied between input and
output). With item content vectors (e.g. title SVD), an item's embedding is its own vector plus a
learned projection of its content, so rare items borrow from items with similar titles. Scoring a
history reads the model state after its newest item.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

Histories = Sequence[Sequence[int]]


@dataclass
class SASRecConfig:
    dim: int = 64
    max_len: int = 50
    blocks: int = 2
    heads: int = 1
    dropout: float = 0.3
    epochs: int = 20
    batch_size: int = 256
    lr: float = 2e-3
    weight_decay: float = 0.0
    negatives: int = 2048  # negatives shared by a batch (sampled softmax); 0 = all items
    neg_alpha: float = 0.5  # negatives drawn with p ~ (count + 1)**alpha, logQ-corrected
    lr_final: float = 0.1  # learning rate at a fit's last epoch, as a share of lr (linear decay)
    content_dim: int = 128  # title SVD components added to item embeddings (0 = ids only)
    seed: int = 0
    time_limit: float | None = None  # seconds; training stops after the epoch that passes it

    def to_dict(self) -> dict:
        return asdict(self)


def _torch():
    import torch

    return torch


def _build(n_items: int, cfg: SASRecConfig, content: np.ndarray | None = None):
    torch = _torch()
    nn = torch.nn

    class SASRec(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.item = nn.Embedding(n_items + 1, cfg.dim, padding_idx=0)  # 0 = padding
            self.pos = nn.Embedding(cfg.max_len, cfg.dim)
            self.drop = nn.Dropout(cfg.dropout)
            layer = nn.TransformerEncoderLayer(
                cfg.dim,
                cfg.heads,
                dim_feedforward=cfg.dim,
                dropout=cfg.dropout,
                batch_first=True,
                norm_first=True,
            )
            self.encoder = nn.TransformerEncoder(layer, cfg.blocks, enable_nested_tensor=False)
            self.norm = nn.LayerNorm(cfg.dim)
            nn.init.normal_(self.item.weight, std=0.02)
            nn.init.normal_(self.pos.weight, std=0.02)
            with torch.no_grad():
                self.item.weight[0].zero_()
            self.proj = None
            if content is not None:  # row 0 (padding) stays zero
                rows = np.vstack([np.zeros((1, content.shape[1])), content]).astype(np.float32)
                self.register_buffer("content", torch.from_numpy(rows))
                self.proj = nn.Linear(content.shape[1], cfg.dim, bias=False)
                nn.init.normal_(self.proj.weight, std=content.shape[1] ** -0.5)

        def embed(self, idx):
            """Embeddings of item indices (0 = padding); only these rows are projected."""
            out = self.item(idx)
            if self.proj is not None:
                out = out + self.proj(self.content[idx])
            return out

        def table(self):
            """(n_items + 1, dim) embeddings of every item, padding row 0 included."""
            if self.proj is None:
                return self.item.weight
            return self.item.weight + self.proj(self.content)

        def forward(self, seq):  # (batch, length) right-padded with 0
            length = seq.shape[1]
            x = self.embed(seq) * (cfg.dim**0.5) + self.pos.weight[:length]
            x = self.drop(x)
            # causal mask: a position sees itself and earlier ones; right padding is never seen
            mask = torch.triu(torch.full((length, length), float("-inf")), diagonal=1)
            return self.norm(self.encoder(x, mask=mask, is_causal=True))

        def logits(self, hidden):
            return hidden @ self.table()[1:].T

    return SASRec()


def _pad(seqs: list[Sequence[int]], length: int) -> np.ndarray:
    out = np.zeros((len(seqs), length), dtype=np.int64)
    for i, s in enumerate(seqs):
        out[i, : len(s)] = np.asarray(s, dtype=np.int64) + 1
    return out


class SASRecModel:
    """Self-attentive sequential recommender (Kang & McAuley 2018) with softmax training."""

    def __init__(self, config: SASRecConfig | None = None) -> None:
        self.config = config or SASRecConfig()
        self.net = None
        self.log: list[dict] = []

    def fit(
        self,
        seqs: Histories,
        n: int,
        epochs: int | None = None,
        content: np.ndarray | None = None,
    ) -> SASRecModel:
        """Train (or, when already trained, continue training) on the histories' own pairs.
        content: (n, d) item vectors, read on the first fit when config.content_dim > 0."""
        torch = _torch()
        cfg = self.config
        torch.manual_seed(cfg.seed + len(self.log))
        rng = np.random.default_rng(cfg.seed + len(self.log))
        if self.net is None:
            self.n = n
            use = content if cfg.content_dim > 0 else None
            self.net = _build(n, cfg, use)
            self.opt = torch.optim.Adam(
                self.net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay
            )
        usable = [list(s[-(cfg.max_len + 1) :]) for s in seqs if len(s) >= 2]
        if not usable:
            return self
        counts = np.bincount(np.fromiter((i for s in usable for i in s[1:]), np.int64), minlength=n)
        q = (counts + 1.0) ** cfg.neg_alpha
        self.q = q / q.sum()
        self.logq = torch.from_numpy(np.log(np.concatenate([[1.0], self.q])).astype(np.float32))
        usable.sort(key=len)  # batches of similar length: little padding
        batches = [usable[i : i + cfg.batch_size] for i in range(0, len(usable), cfg.batch_size)]
        self.net.train()
        start = time.perf_counter()
        epochs = cfg.epochs if epochs is None else epochs
        for epoch in range(epochs):
            share = 1.0 - (1.0 - cfg.lr_final) * epoch / max(epochs - 1, 1)
            for group in self.opt.param_groups:
                group["lr"] = cfg.lr * share
            total, count = 0.0, 0
            for b in rng.permutation(len(batches)):
                batch = batches[b]
                length = max(len(s) for s in batch) - 1
                inp = torch.from_numpy(_pad([s[:-1] for s in batch], length))
                tgt = torch.from_numpy(_pad([s[1:] for s in batch], length)).reshape(-1)
                hidden = self.net(inp).reshape(-1, cfg.dim)
                keep = tgt > 0
                loss = self._loss(hidden[keep], tgt[keep], torch, rng)
                self.opt.zero_grad()
                loss.backward()
                self.opt.step()
                total += float(loss.detach()) * int(keep.sum())
                count += int(keep.sum())
            self.log.append({"epoch": len(self.log), "loss": total / max(count, 1)})
            if cfg.time_limit and time.perf_counter() - start > cfg.time_limit:
                break
        self.net.eval()
        return self

    def _loss(self, hidden, target, torch, rng):
        """Cross-entropy of the target against all items, or against the shared negatives."""
        k = self.config.negatives
        if not k or k >= self.n:
            return torch.nn.functional.cross_entropy(self.net.logits(hidden), target - 1)
        neg = torch.from_numpy(rng.choice(self.n, size=k, p=self.q) + 1)
        embed = self.net.embed
        pos_logit = (hidden * embed(target)).sum(-1, keepdim=True) - self.logq[target][:, None]
        neg_logit = hidden @ embed(neg).T - self.logq[neg][None, :]
        neg_logit = neg_logit.masked_fill(neg[None, :] == target[:, None], float("-inf"))
        logits = torch.cat([pos_logit, neg_logit], dim=1)
        return torch.nn.functional.cross_entropy(logits, torch.zeros_like(target))

    def score(self, histories: Histories, batch: int = 1024) -> np.ndarray:
        """Next-item logits after each history's newest item, (len(histories), n) float32."""
        torch = _torch()
        cfg = self.config
        out = np.zeros((len(histories), self.n), dtype=np.float32)
        with torch.no_grad():
            for lo in range(0, len(histories), batch):
                part = [list(h[-cfg.max_len :]) for h in histories[lo : lo + batch]]
                lengths = np.asarray([len(h) for h in part])
                has = np.flatnonzero(lengths > 0)
                if has.size == 0:
                    continue
                inp = torch.from_numpy(_pad([part[i] for i in has], int(lengths.max())))
                hidden = self.net(inp)
                last = hidden[torch.arange(has.size), torch.from_numpy(lengths[has] - 1)]
                out[lo + has] = self.net.logits(last).numpy()
        return out
