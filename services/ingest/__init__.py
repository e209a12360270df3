"""ingest — receives page scans (trang), checks them against the scanning rules, stores the
originals write-once and announces each page."""
