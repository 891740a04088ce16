from sseguard.cli import main

raise SystemExit(main())
