"""Scenario play: catalogue, live role-play, debrief and the trainers' read-only review."""
