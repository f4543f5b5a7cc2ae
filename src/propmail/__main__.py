from propmail.cli import main

main()
