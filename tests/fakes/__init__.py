"""Local stand-ins for outside services, so that nothing in the test suite reaches the internet."""
