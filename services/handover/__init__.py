"""handover — packages accepted hồ sơ (gói bàn giao) and delivers them to the national archive."""
