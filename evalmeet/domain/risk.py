"""Risk flags on items: what representatives should ask about."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class RiskFlag:
    """A code for machines and a sentence for people (Chinese, with an English twin)."""

    code: str
    message_zh: str
    message_en: str

    def to_dict(self) -> dict[str, str]:
        """JSON form."""
        return {"code": self.code, "message": self.message_zh, "message_en": self.message_en}


def entry_warnings(*, procurement_method: str | None, supplier_count: int | None) -> list[str]:
    """Codes of figures that do not fit together, for whoever enters them to look at again.

    Not risk flags (those are for the room to ask about, and never change): a warning, never
    a refusal. A single-source purchase that names more than one supplier is one of them: the
    method or the count is likely a slip (or the single source needs explaining).
    """
    warnings: list[str] = []
    if procurement_method == "single_source" and supplier_count is not None and supplier_count > 1:
        warnings.append("single_source_several_suppliers")
    return warnings


def _yuan(value: Decimal) -> str:
    return f"{value:,.2f}"


def risk_flags(
    *,
    procurement_method: str | None,
    supplier_count: int | None,
    amount: Decimal | None,
    unit_price: Decimal | None,
    benchmark_price: Decimal | None,
    tender_threshold: Decimal,
) -> list[RiskFlag]:
    """Flags for one item, in a stable order."""
    flags: list[RiskFlag] = []
    if supplier_count is not None and supplier_count <= 1:
        flags.append(
            RiskFlag(
                "single_supplier",
                "只有一家供应商",
                "Only one supplier was considered",
            )
        )
    if amount is not None and amount > tender_threshold:
        if procurement_method == "single_source":
            flags.append(
                RiskFlag(
                    "single_source_above_threshold",
                    f"单一来源采购，金额超过 {_yuan(tender_threshold)} 元",
                    f"Single-source purchase above {_yuan(tender_threshold)} yuan",
                )
            )
        elif procurement_method != "tender":
            flags.append(
                RiskFlag(
                    "not_tendered_above_threshold",
                    f"金额超过 {_yuan(tender_threshold)} 元未招标",
                    f"Not put out to tender although above {_yuan(tender_threshold)} yuan",
                )
            )
    if unit_price is not None and benchmark_price is not None and unit_price > benchmark_price:
        over = (unit_price - benchmark_price) / benchmark_price * 100 if benchmark_price else None
        pct_zh = f"（高出 {over:.1f}%）" if over is not None else ""
        pct_en = f" (by {over:.1f}%)" if over is not None else ""
        flags.append(
            RiskFlag(
                "above_benchmark",
                f"单价高于基准价{pct_zh}",
                f"Unit price above the benchmark{pct_en}",
            )
        )
    return flags
