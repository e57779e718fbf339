"""`python -m bench.load`: see the package docstring."""

from bench.load import main

raise SystemExit(main())
