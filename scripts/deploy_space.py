"""python scripts/deploy_space.py USER/SPACE_NAME: share the demo as a Hugging Face Space (``demo.space``;
--help for the offline --dry-run and --stage)."""

from demo.space import main

if __name__ == "__main__":
    main()
