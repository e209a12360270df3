"""Tables as people read them in a spreadsheet, for the catalogue's reports and exports: the
shared model (:mod:`shared.tables`), named here so the domain's modules import it from home."""

from shared.tables import BarChartSpec, CellValue, TableSheet

__all__ = ["BarChartSpec", "CellValue", "TableSheet"]
