"""The DynamoDB helpers every repository uses: attribute values, query pages, cursors, day index."""
