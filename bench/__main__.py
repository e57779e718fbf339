"""`python -m bench --patients 100000 --db /tmp/big.sqlite`: see the package docstring."""

from bench import main

raise SystemExit(main())
