"""Authoring: trainers write, try out and publish scenarios in the browser (issue 11)."""
