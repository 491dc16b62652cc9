"""Trainers' review: the queue of assessments, corrections of turn scores, examples for the scorer, agreement."""
