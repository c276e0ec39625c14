"""The career office: topic insights, reports, its command line, installed workspaces."""
