from demo.launch import main

raise SystemExit(main())
