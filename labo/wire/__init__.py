"""What crosses the wire: the recording proxy, the transcript model and client labels."""
