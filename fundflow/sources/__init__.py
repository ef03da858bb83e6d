"""One small module per outside system; each turns one series' months into `MonthlyPoint`s."""
