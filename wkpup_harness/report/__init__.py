"""Reports of a job: worst-case summary, self-contained HTML/CSV export."""
