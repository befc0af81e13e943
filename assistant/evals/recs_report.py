"""Markdown and a PNG bar chart for an `eval recs` result."""

from __future__ import annotations

import json
from pathlib import Path

from retrieval.recs.metrics import METRICS

COLORS = {
    "shopassist": (31, 119, 180),
    "cooccurrence": (255, 127, 14),
    "popularity": (127, 127, 127),
}


def markdown(result: dict) -> str:
    """The result as a Markdown report."""
    ds, blend = result["dataset"], result["blend"]
    lines = [
        "# Recommendation evaluation",
        "",
        result["protocol"],
        "",
        f"Data: `{ds['path']}` — {ds['users']} users, {ds['items']} items, "
        f"{ds['scored_users']} users scored, blend tuned on {ds['tuning_users']} valid users "
        f"(seed {ds['seed']}).",
        "",
        "| model | " + " | ".join(METRICS) + " |",
        "|---|" + "---:|" * len(METRICS),
    ]
    for name, m in result["models"].items():
        lines.append(f"| {name} | " + " | ".join(f"{m[k]:.4f}" for k in METRICS) + " |")
    lines += [
        "",
        f"ShopAssist NDCG@10 / co-occurrence NDCG@10 = {result['ndcg_ratio_vs_cooccurrence']}",
        "",
        f"Blend weights (valid NDCG@10 {blend['valid_NDCG@10']}): `{json.dumps(blend['weights'])}`",
        "",
    ]
    neural = blend.get("neural")
    if neural:
        losses = ", ".join(f"{e['loss']:.3f}" for e in neural["log"])
        lines += [
            f"SASRec, read by the re-ranker (dim {neural['dim']}, {neural['blocks']} blocks, "
            f"{neural['heads']} head(s), max_len {neural['max_len']}, dropout "
            f"{neural['dropout']}, {neural['negatives'] or 'all'} negatives); training loss per "
            f"epoch: {losses}",
            "",
        ]
    rerank = result.get("rerank")
    if rerank:
        gains = sorted(rerank["feature_gain_share"].items(), key=lambda kv: -kv[1])[:8]
        lines += [
            f"Re-ranker: LambdaMART over the blend's top {rerank['candidates']} candidates, "
            f"{rerank['trees']} trees of {rerank['leaves']} leaves, trained on "
            f"{rerank['histories']} validation histories ({rerank['with_target_in_candidates']} "
            "with their target among the candidates). Largest gain shares: "
            + ", ".join(f"{name} {share:.3f}" for name, share in gains),
            "",
        ]
    lines += [
        "Timings (s): " + ", ".join(f"{k} {v}" for k, v in result["timings"].items()),
        "",
    ]
    return "\n".join(lines)


def bar_chart(result: dict, path: Path, width: int = 720, height: int = 400) -> Path:
    """Grouped bars of every metric per model, drawn with Pillow (no plotting library needed)."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    models = list(result["models"])
    top = max(m[k] for m in result["models"].values() for k in METRICS) or 1.0
    left, right, bottom, head = 50, 20, 60, 40
    plot_h = height - bottom - head
    group_w = (width - left - right) / len(METRICS)
    bar_w = group_w * 0.8 / len(models)
    draw.text((left, 10), "Next-item recommendation (test, full ranking)", fill="black")
    draw.line((left, height - bottom, width - right, height - bottom), fill="black")
    for g, metric in enumerate(METRICS):
        x0 = left + g * group_w + group_w * 0.1
        for j, name in enumerate(models):
            value = result["models"][name][metric]
            h = plot_h * value / top
            x = x0 + j * bar_w
            draw.rectangle(
                (x, height - bottom - h, x + bar_w - 4, height - bottom),
                fill=COLORS.get(name, (44, 160, 44)),
            )
            draw.text((x, height - bottom - h - 12), f"{value:.3f}", fill="black")
        draw.text((x0 + group_w * 0.3, height - bottom + 8), metric, fill="black")
    for j, name in enumerate(models):
        x = left + j * 160
        draw.rectangle((x, height - 22, x + 12, height - 10), fill=COLORS.get(name, (44, 160, 44)))
        draw.text((x + 18, height - 22), name, fill="black")
    path = Path(path)
    img.save(path)
    return path


def write_report(result: dict, out_dir: Path) -> dict[str, str]:
    """Write recs_eval.md, recs_eval.json and recs_eval.png into out_dir."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "recs_eval.md").write_text(markdown(result), encoding="utf-8")
    (out / "recs_eval.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    png = bar_chart(result, out / "recs_eval.png")
    return {
        "markdown": str(out / "recs_eval.md"),
        "json": str(out / "recs_eval.json"),
        "png": str(png),
    }
