"""One module per source. Each turns bytes into `advocacy.records` and never touches the database."""
