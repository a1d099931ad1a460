"""The streams sweep as a picture: client ITL and TTFT against concurrent streams (``make bench``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.report import level_summary


def streams(section: dict[str, Any], plan: Any, path: Path) -> Path | None:
    """Client ITL (median) and TTFT (p50, p99) against concurrent streams, FakeAI and the limit."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("bench: matplotlib missing (pip install -e '.[bench]'): no plot")
        return None
    fig, (itl_ax, ttft_ax) = plt.subplots(1, 2, figsize=(11, 4.2))
    for (name, row), color in zip(section.items(), ("tab:gray", "tab:blue", "tab:orange"), strict=False):
        if not row.get("levels"):
            continue
        levels = sorted(row["levels"], key=int)
        xs = [int(level) for level in levels]
        summaries = [level_summary(row["levels"][level]) for level in levels]
        itl_ax.plot(xs, [s["itl_ms"] for s in summaries], "o-", color=color, label=name)
        ttft_ax.plot(xs, [s["ttft_p50_ms"] for s in summaries], "o-", color=color, label=f"{name} p50")
        ttft_ax.plot(xs, [s["ttft_p99_ms"] for s in summaries], "s--", color=color, label=f"{name} p99")
    itl_ax.axhspan(
        0.9 * plan.itl_ms, 1.1 * plan.itl_ms, color="tab:green", alpha=0.15, label="target: within 10 %"
    )
    ttft_ax.axhline(2 * plan.ttft_ms, color="tab:red", linestyle=":", label="target: p99 < 2x configured")
    itl_ax.set(title=f"Inter-token latency (configured {plan.itl_ms:g} ms)", xlabel="concurrent streams")
    itl_ax.set(ylabel="median of per-stream median ITL (ms)")
    ttft_ax.set(title=f"Time to first token (configured {plan.ttft_ms:g} ms)", xlabel="concurrent streams")
    ttft_ax.set(ylabel="client TTFT (ms)")
    for ax in (itl_ax, ttft_ax):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        ax.set_ylim(bottom=0)
    fig.suptitle("FakeAI streaming on one core (client on another)", fontsize=11)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
