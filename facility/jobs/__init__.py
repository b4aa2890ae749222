"""Scheduled jobs (APScheduler, one `flask facility scheduler` process) and the mail they send."""
