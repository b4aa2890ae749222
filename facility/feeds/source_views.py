"""The lab manager's page of calendar sources (written next)."""
