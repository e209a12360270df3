"""The programme's reports: progress (hồ sơ and pages by state, phông and year, pages per day,
against the plan's periods) and the yearly report to Bộ Nội vụ, due before 1 December, built
from the read side's counts, as JSON and as the tables of its spreadsheet."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from services.catalogue.domain.codes import SelectionCriterion
from services.catalogue.domain.model import FileState
from services.catalogue.domain.queries import PlanCounts, ProgressCounts, SelectionRow
from services.catalogue.domain.tables import BarChartSpec, TableSheet

STATE_LABELS: dict[FileState, str] = {
    FileState.INVENTORIED: "Đã lập mục lục",
    FileState.SELECTED: "Đã lựa chọn",
    FileState.APPROVED: "Đã phê duyệt",
    FileState.DIGITIZING: "Đang số hóa",
    FileState.DIGITIZED: "Đã số hóa",
    FileState.DESCRIBED: "Đã biên mục",
    FileState.VERIFIED: "Đã kiểm tra",
    FileState.ACCEPTED: "Đã nghiệm thu",
    FileState.PACKAGED: "Đã đóng gói",
    FileState.HANDED_OVER: "Đã bàn giao",
    FileState.RESCAN_REQUESTED: "Chờ quét lại",
}
"""How people read each state, in reports and spreadsheets."""

FLOW: list[FileState] = [s for s in FileState if s is not FileState.RESCAN_REQUESTED]
"""States in the order of the programme (re-scan is a detour, not a step)."""

DUE_MONTH, DUE_DAY = 12, 1  # the yearly report reaches Bộ Nội vụ before 1 December


@dataclass(frozen=True)
class Period:
    first: int
    last: int

    def planned_share(self, year: int) -> float:
        """Share of the work the plan expects done by the end of ``year`` (evenly spread)."""
        years = self.last - self.first + 1
        return round(min(1.0, max(0.0, (year - self.first + 1) / years)), 4)


@dataclass(frozen=True)
class ProgrammePlan:
    """The periods of the provincial plan (Kế hoạch 115/KH-UBND, QĐ 71/QĐ-TTg)."""

    selection: Period = Period(2024, 2026)
    digitization: Period = Period(2026, 2033)
    handover: Period = Period(2028, 2034)

    def as_json(self, year: int) -> dict[str, Any]:
        return {
            name: {
                "from": p.first,
                "to": p.last,
                "planned_share_by_end_of_year": p.planned_share(year),
            }
            for name, p in (
                ("selection", self.selection),
                ("digitization", self.digitization),
                ("handover", self.handover),
            )
        }


def _at_or_after(counts: dict[str, int], state: FileState) -> int:
    """Hồ sơ in ``state`` or any later step; a hồ sơ back for re-scan has been approved and
    is being scanned again, so it counts up to ``digitizing``."""
    later: set[FileState] = set(FLOW[FLOW.index(state) :])
    if FLOW.index(state) <= FLOW.index(FileState.DIGITIZING):
        later.add(FileState.RESCAN_REQUESTED)
    return sum(counts.get(s.value, 0) for s in later)


def _share(done: int, of: int) -> float:
    return round(done / of, 4) if of else 0.0


def progress_report(counts: ProgressCounts, plan: ProgrammePlan, today: date) -> dict[str, Any]:
    by_state = counts.files_by_state
    approved = _at_or_after(by_state, FileState.APPROVED)
    digitized = _at_or_after(by_state, FileState.DIGITIZED)
    handed = by_state.get(FileState.HANDED_OVER.value, 0)
    return {
        "date": today.isoformat(),
        "files_by_state": {s.value: by_state.get(s.value, 0) for s in FileState},
        "pages_by_state": {s.value: counts.pages_by_state.get(s.value, 0) for s in FileState},
        "files_by_fonds": counts.files_by_fonds,
        "files_by_year": {str(y): v for y, v in sorted(counts.files_by_year.items())},
        "pages_per_day": [{"date": d.isoformat(), "pages": n} for d, n in counts.pages_per_day],
        "ocr": {
            "waiting": counts.ocr.waiting,
            "oldest_waiting_since": (
                counts.ocr.oldest_waiting_since.isoformat()
                if counts.ocr.oldest_waiting_since
                else None
            ),
            "failed": sum(counts.ocr.failed_by_code.values()),
            "failed_by_code": dict(sorted(counts.ocr.failed_by_code.items())),
        },
        "plan": plan.as_json(today.year),
        "digitization": {
            "done": digitized,
            "of": approved,
            "share": _share(digitized, approved),
            "planned_share": plan.digitization.planned_share(today.year),
        },
        "handover": {
            "done": handed,
            "of": approved,
            "share": _share(handed, approved),
            "planned_share": plan.handover.planned_share(today.year),
        },
    }


def annual_report(
    counts: PlanCounts, plan: ProgrammePlan, *, organization: str, generated_at: datetime
) -> dict[str, Any]:
    """The yearly report of results (báo cáo kết quả hằng năm) for Bộ Nội vụ."""
    entered: dict[str, int] = {s.value: 0 for s in FLOW}
    reached: dict[str, int] = {s.value: 0 for s in FLOW}
    for fonds in counts.fonds:
        for state in FLOW:
            entered[state.value] += fonds.entered.get(state.value, 0)
            reached[state.value] += fonds.reached.get(state.value, 0)
    approved = reached[FileState.APPROVED.value]
    digitized = reached[FileState.DIGITIZED.value]
    handed = reached[FileState.HANDED_OVER.value]
    return {
        "year": counts.year,
        "organization": organization,
        "due_before": date(counts.year, DUE_MONTH, DUE_DAY).isoformat(),
        "generated_at": generated_at.isoformat(),
        "totals": {
            "entered_in_year": entered,
            "reached_by_end_of_year": reached,
            "pages_in_year": sum(f.pages_in_year for f in counts.fonds),
            "pages_to_date": sum(f.pages_to_date for f in counts.fonds),
        },
        "digitization": {
            "done": digitized,
            "of": approved,
            "share": _share(digitized, approved),
            "planned_share": plan.digitization.planned_share(counts.year),
        },
        "handover": {
            "done": handed,
            "of": approved,
            "share": _share(handed, approved),
            "planned_share": plan.handover.planned_share(counts.year),
        },
        "plan": plan.as_json(counts.year),
        "fonds": [
            {
                "fonds_code": f.fonds_code,
                "entered_in_year": {s.value: f.entered.get(s.value, 0) for s in FLOW},
                "reached_by_end_of_year": {s.value: f.reached.get(s.value, 0) for s in FLOW},
                "pages_in_year": f.pages_in_year,
                "pages_to_date": f.pages_to_date,
            }
            for f in counts.fonds
        ],
        "pages_per_month": {str(m): n for m, n in sorted(counts.pages_per_month.items())},
    }


def annual_sheets(report: dict[str, Any]) -> list[TableSheet]:
    """The yearly report as a workbook: summary with a chart, per phông, pages per month."""
    year = report["year"]
    totals = report["totals"]
    summary_rows = [
        [
            STATE_LABELS[s],
            totals["entered_in_year"][s.value],
            totals["reached_by_end_of_year"][s.value],
        ]
        for s in FLOW
    ]
    summary_rows.append(["Số trang đã số hóa", totals["pages_in_year"], totals["pages_to_date"]])
    digitization, handover = report["digitization"], report["handover"]
    heading = (
        f"BÁO CÁO KẾT QUẢ LƯU TRỮ DỰ PHÒNG NĂM {year} — {report['organization']} — "
        f"số hóa {digitization['share']:.0%} (kế hoạch {digitization['planned_share']:.0%}), "
        f"bàn giao {handover['share']:.0%} (kế hoạch {handover['planned_share']:.0%}); "
        f"gửi Bộ Nội vụ trước ngày 01/12/{year}"
    )
    fonds_columns = [
        "Mã phông",
        *(STATE_LABELS[s] for s in FLOW),
        "Trang trong năm",
        "Trang lũy kế",
    ]
    fonds_rows = [
        [
            f["fonds_code"] or "(chưa rõ phông)",
            *(f["reached_by_end_of_year"][s.value] for s in FLOW),
            f["pages_in_year"],
            f["pages_to_date"],
        ]
        for f in report["fonds"]
    ]
    months = [[f"Tháng {m}", n] for m, n in report["pages_per_month"].items()]
    return [
        TableSheet(
            title=f"Tổng hợp {year}",
            columns=["Chỉ tiêu", f"Trong năm {year}", f"Lũy kế đến 31/12/{year}"],
            rows=summary_rows,
            chart=BarChartSpec(
                title=f"Hồ sơ theo bước, năm {year}",
                category_column=1,
                value_columns=(2, 3),
                y_title="Hồ sơ",
                anchor="E2",
            ),
            heading=heading,
        ),
        TableSheet(title="Theo phông", columns=fonds_columns, rows=fonds_rows),
        TableSheet(
            title="Trang theo tháng",
            columns=["Tháng", "Số trang"],
            rows=months,
            chart=BarChartSpec(
                title=f"Trang số hóa theo tháng, năm {year}",
                category_column=1,
                value_columns=(2,),
                y_title="Trang",
                anchor="D2",
            ),
        ),
    ]


def progress_sheets(report: dict[str, Any]) -> list[TableSheet]:
    states = [s for s in FileState]
    return [
        TableSheet(
            title="Tiến độ",
            columns=["Trạng thái", "Hồ sơ", "Trang"],
            rows=[
                [
                    STATE_LABELS[s],
                    report["files_by_state"][s.value],
                    report["pages_by_state"][s.value],
                ]
                for s in states
            ],
            chart=BarChartSpec(
                title="Hồ sơ theo trạng thái", category_column=1, value_columns=(2,), anchor="E2"
            ),
            heading=f"Tiến độ số hóa đến ngày {report['date']}",
        ),
        TableSheet(
            title="Theo phông",
            columns=["Mã phông", *(STATE_LABELS[s] for s in states)],
            rows=[
                [code or "(chưa rõ phông)", *(counts.get(s.value, 0) for s in states)]
                for code, counts in sorted(report["files_by_fonds"].items())
            ],
        ),
        TableSheet(
            title="Theo năm",
            columns=["Năm", *(STATE_LABELS[s] for s in states)],
            rows=[
                [int(year), *(counts.get(s.value, 0) for s in states)]
                for year, counts in report["files_by_year"].items()
            ],
        ),
        TableSheet(
            title="Trang theo ngày",
            columns=["Ngày", "Số trang"],
            rows=[[date.fromisoformat(d["date"]), d["pages"]] for d in report["pages_per_day"]],
            chart=BarChartSpec(
                title="Trang số hóa mỗi ngày", category_column=1, value_columns=(2,), anchor="D2"
            ),
        ),
        TableSheet(
            title="Nhận dạng",
            columns=["Trang", "Số trang"],
            rows=[
                ["Chờ nhận dạng (OCR)", report["ocr"]["waiting"]],
                *(
                    [f"Không nhận dạng được: {code}", n]
                    for code, n in report["ocr"]["failed_by_code"].items()
                ),
            ],
            heading="Hàng đợi nhận dạng và các trang lỗi",
        ),
    ]


def selection_report(rows: Sequence[SelectionRow]) -> dict[str, Any]:
    return {
        "groups": [
            {
                "fonds_code": r.fonds_code,
                "group": r.group,
                "selected": r.selected,
                "approved": r.approved,
                "number_of_page": r.number_of_page,
                "number_of_paper": r.number_of_paper,
                "by_criterion": {str(k): v for k, v in r.by_criterion.items()},
            }
            for r in rows
        ],
        "totals": {
            "selected": sum(r.selected for r in rows),
            "approved": sum(r.approved for r in rows),
            "number_of_page": sum(r.number_of_page for r in rows),
            "number_of_paper": sum(r.number_of_paper for r in rows),
        },
    }


def selection_sheets(rows: Sequence[SelectionRow]) -> list[TableSheet]:
    criteria = list(SelectionCriterion)
    return [
        TableSheet(
            title="Danh mục lựa chọn",
            columns=[
                "Mã phông",
                "Nhóm",
                "Số hồ sơ lựa chọn",
                "Số hồ sơ đã duyệt",
                "Số trang",
                "Số tờ",
                *(f"Tiêu chí {int(c)}" for c in criteria),
            ],
            rows=[
                [
                    r.fonds_code or "(chưa rõ phông)",
                    r.group,
                    r.selected,
                    r.approved,
                    r.number_of_page,
                    r.number_of_paper,
                    *(r.by_criterion.get(int(c), 0) for c in criteria),
                ]
                for r in rows
            ],
            chart=BarChartSpec(
                title="Hồ sơ lựa chọn theo phông, nhóm",
                category_column=2,
                value_columns=(3, 4),
                anchor="L2",
            ),
            heading="THỐNG KÊ DANH MỤC HỒ SƠ LỰA CHỌN LẬP LƯU TRỮ DỰ PHÒNG",
        )
    ]
