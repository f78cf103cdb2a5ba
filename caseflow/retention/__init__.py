"""Retention (保存年限) and purge: the schedule, legal holds, and the tombstones a purge leaves."""
