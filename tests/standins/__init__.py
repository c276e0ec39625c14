"""Local stand-ins for the chat platforms, owned by the test suite (no test reaches the internet)."""
