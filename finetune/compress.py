"""Shrink a LoRA adapter to a lower rank without retraining: each layer's weight update
ΔW = (alpha / r) · B · A is replaced by its best rank-k approximation (truncated SVD).

    python -m finetune.compress ADAPTER_DIR OUT_DIR --rank 8

Prints how much of the update survives: the relative error ‖ΔW − ΔW_k‖ / ‖ΔW‖ (mean and worst
layer). The shopassist card is copied with both ranks recorded; evaluate the result
(`assistant/evals/finetune.py`) before shipping it.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

from assistant.llm.weights import ADAPTER_CARD

WEIGHTS = "adapter_model.safetensors"


def reduce_rank(adapter: Path, out: Path, rank: int) -> dict:
    """Write `adapter` at LoRA rank `rank` (alpha = rank, bf16) to `out`; returns the report."""
    import torch
    from safetensors.torch import load_file, save_file

    adapter, out = Path(adapter), Path(out)
    config = json.loads((adapter / "adapter_config.json").read_text())
    if config.get("use_rslora") or config.get("rank_pattern") or config.get("alpha_pattern"):
        msg = f"{adapter}: only plain LoRA (one r and alpha, no rsLoRA) can be reduced here"
        raise ValueError(msg)
    scale, from_rank = config["lora_alpha"] / config["r"], config["r"]
    tensors = load_file(adapter / WEIGHTS)
    reduced, errors = {}, []
    for a_key in sorted(k for k in tensors if ".lora_A." in k):
        b_key = a_key.replace(".lora_A.", ".lora_B.")
        delta = scale * tensors[b_key].float() @ tensors[a_key].float()
        u, s, vh = torch.linalg.svd(delta, full_matrices=False)
        b, a = u[:, :rank] * s[:rank], vh[:rank]
        errors.append(float((delta - b @ a).norm() / delta.norm().clamp(min=1e-12)))
        reduced[a_key] = a.to(torch.bfloat16).contiguous()
        reduced[b_key] = b.to(torch.bfloat16).contiguous()
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    save_file(reduced, out / WEIGHTS, metadata={"format": "pt"})
    config |= {"r": rank, "lora_alpha": rank}
    (out / "adapter_config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
    card_path = adapter / ADAPTER_CARD
    card = json.loads(card_path.read_text()) if card_path.exists() else {}
    card |= {"lora_r": rank, "reduced_from_rank": from_rank,
             "reduced_by": "truncated SVD of each B·A (finetune/compress.py)"}  # fmt: skip
    (out / ADAPTER_CARD).write_text(json.dumps(card, indent=2) + "\n")
    return {"rank": rank, "from_rank": card["reduced_from_rank"], "layers": len(errors),
            "bytes": (out / WEIGHTS).stat().st_size,
            "rel_error_mean": sum(errors) / len(errors), "rel_error_max": max(errors)}  # fmt: skip


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("adapter", type=Path)
    p.add_argument("out", type=Path)
    p.add_argument("--rank", type=int, default=8)
    args = p.parse_args()
    report = reduce_rank(args.adapter, args.out, args.rank)
    print(f"rank {report['from_rank']} → {report['rank']}: {report['bytes'] / 1e6:.2f} MB, "
          f"relative error of the weight updates mean {report['rel_error_mean']:.3f}, "
          f"worst layer {report['rel_error_max']:.3f} ({report['layers']} layers)")  # fmt: skip


if __name__ == "__main__":
    main()
