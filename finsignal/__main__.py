"""`python -m finsignal` is the `finsignal` command."""

from finsignal.cli import main

raise SystemExit(main())
