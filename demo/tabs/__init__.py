"""The page's tabs: Draw (with its views), Explore and Train."""
