"""The shared core: what every domain uses and which imports no domain."""
