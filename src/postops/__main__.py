from postops.cli import main

main()
