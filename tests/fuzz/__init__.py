"""A small fuzz harness for ``sseguard scan``: seeds of every input kind, deterministic mutators, and a runner that
scans each mutant in a persistent worker process and checks what must hold whatever the input.

- ``kinds``: the eight input kinds, their seeds (``seeds/``) and the command line each is scanned with;
- ``mutate``: the mutators, every one driven by a ``random.Random`` seeded from the mutant's id;
- ``worker``: the process that runs ``sseguard.cli.main`` once per mutant and reports what it printed;
- ``runner``: mutants, checks, reproducers and the summary (``tests/test_fuzz.py`` and ``bench/fuzz.py`` use it).
"""
