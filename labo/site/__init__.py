"""The site side: the ``/// exemple`` Markdown block and the build context it reports against."""
