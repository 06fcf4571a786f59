from newapi.cli import main

main()
