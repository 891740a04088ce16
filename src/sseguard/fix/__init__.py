"""``sseguard fix``: the source changes that make failing streams pass (``plan``), written in each file's own syntax
and layout (``text``, ``cloudformation``), proved by scanning them in memory and written atomically (``run``)."""
