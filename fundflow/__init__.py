"""Cross-market fund-flow tracker: collect -> store -> analyse -> report (issue #22)."""
